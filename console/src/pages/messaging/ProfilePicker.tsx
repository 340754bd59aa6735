import { Select } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { profileName } from '../profileText';

interface ProfileRow {
  id: number;
  traits: Record<string, unknown>;
  identifiers?: { type: string; value: string }[];
}

/** Choose a real profile by searching any identifier or name (the preview renders for them). */
export function ProfilePicker({ value, onChange, id }: { value?: number; onChange: (id: number | undefined) => void; id?: string }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  useEffect(() => {
    const timer = setTimeout(() => {
      api<{ data: ProfileRow[] }>('/api/v1/profiles', { query: { q, limit: 20 } }).then(
        (res) => setOptions(res.data.map((p) => ({ value: p.id, label: `${profileName(p.traits, p.identifiers) ?? t('profiles.anonymous')} · #${p.id}` }))),
        () => setOptions([]),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [q, t]);
  return (
    <Select id={id} showSearch allowClear value={value} onChange={onChange} onSearch={setQ} filterOption={false} options={options} placeholder={t('messaging.choosePerson')}
      style={{ width: 280 }} aria-label={t('messaging.previewFor')} data-testid="preview-profile" />
  );
}
