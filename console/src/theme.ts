import type { ThemeConfig } from 'antd';

/**
 * The console's antd theme. The build also renders the first screens' styles with it (console/build-plugins.ts):
 * antd matches those by a hash of the theme, so both must use this one object.
 */
export const theme: ThemeConfig = { token: { colorPrimary: '#1677ff', borderRadius: 6 } };
