// The first screen imports icons one file each (the '@ant-design/icons' barrel would pull every page's icons into
// its chunk); the ES files have no declarations of their own, so they take the CommonJS ones'.
declare module '@ant-design/icons/es/icons/*' {
  import type Icon from '@ant-design/icons/lib/icons/LogoutOutlined';
  const icon: typeof Icon;
  export default icon;
}
