import useCardStyle from 'antd/es/card/style';
import { ConfigContext } from 'antd/es/config-provider';
import { useContext, type HTMLAttributes, type ReactNode } from 'react';

interface PanelProps extends Omit<HTMLAttributes<HTMLDivElement>, 'title'> {
  title?: ReactNode;
  extra?: ReactNode;
  size?: 'small';
}

/**
 * antd's Card as the overview draws it (title, extra, body; antd's own card styles and class names), without the
 * Card component: that imports Tabs (for tab lists) and Form's context, ~0.1 MB of the first chunk the overview never
 * uses. Other pages keep antd's Card.
 */
export function Panel({ title, extra, size, children, className, ...rest }: PanelProps) {
  const { getPrefixCls } = useContext(ConfigContext);
  const prefixCls = getPrefixCls('card');
  const [wrapCSSVar, hashId, cssVarCls] = useCardStyle(prefixCls);
  const classes = [prefixCls, `${prefixCls}-bordered`, size && `${prefixCls}-${size}`, className, hashId, cssVarCls].filter(Boolean).join(' ');
  return wrapCSSVar(
    <div className={classes} {...rest}>
      {(title || extra) && (
        <div className={`${prefixCls}-head`}>
          <div className={`${prefixCls}-head-wrapper`}>
            {title && <div className={`${prefixCls}-head-title`}>{title}</div>}
            {extra && <div className={`${prefixCls}-extra`}>{extra}</div>}
          </div>
        </div>
      )}
      <div className={`${prefixCls}-body`}>{children}</div>
    </div>,
  );
}
