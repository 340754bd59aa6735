import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import zhLocale from 'antd/es/locale/zh_CN';
import type { Locale } from 'antd/es/locale';
import { zhCN } from './zh-CN';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'siyu.language';

function rememberedLanguage(): Language {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  } catch {
    // storage blocked (private mode): fall back to the default
  }
  return 'zh-CN';
}

// Only the active language's texts come with the first screen: zh-CN (the default and the fallback) is built in,
// English (its texts and antd's en_US locale, ~40 kB) is a chunk of its own, fetched when it is chosen.
const antdLocales: Partial<Record<Language, Locale>> = { 'zh-CN': zhLocale };
let english: Promise<void> | undefined;
function loadLanguage(language: Language): Promise<void> {
  if (language !== 'en') return Promise.resolve();
  english ??= import('./english').then((m) => {
    i18n.addResourceBundle('en', 'translation', m.en, true, true);
    antdLocales.en = m.antdLocale;
  });
  return english;
}

/** antd's texts (pagination, pickers, empty states) for a language. */
export const antdLocale = (language: string): Locale => antdLocales[language as Language] ?? zhLocale;

const initial = rememberedLanguage();
void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN } },
  lng: initial,
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
});
document.documentElement.lang = initial;

/** Resolves when the remembered language's texts are in: main.tsx renders after it. */
export const i18nReady: Promise<void> = loadLanguage(initial);

export function setLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered, still switched
  }
  void loadLanguage(language).then(() => {
    document.documentElement.lang = language;
    return i18n.changeLanguage(language);
  });
}

export default i18n;
