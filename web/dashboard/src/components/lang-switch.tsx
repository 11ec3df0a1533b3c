import { SegmentedControl } from '@mantine/core';
import { useI18n, type Lang } from '../i18n/index.tsx';

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('shell.language')}
      value={lang}
      onChange={(v) => setLang(v as Lang)}
      data={[
        { value: 'en', label: 'EN' },
        { value: 'pt-BR', label: 'PT-BR' },
      ]}
    />
  );
}
