import antdLocale from 'antd/es/locale/en_US';
import { en } from './en';

/** English, loaded when chosen (i18n/index.ts): the console's texts and antd's own. */
export { antdLocale, en };
