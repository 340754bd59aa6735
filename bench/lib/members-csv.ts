import fs from 'node:fs';
import { rng } from './events.js';

/** The member file the import benches read: `siyu import members` columns, realistic Chinese values. */
export const MEMBER_COLUMNS = ['member_no', 'phone', 'name', 'gender', 'city', 'birthday', 'tier', 'joined_at'];

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙'];
const GIVEN = ['静', '丽', '敏', '婷', '雪', '芳', '娜', '欣', '悦', '涵', '晨', '宇', '杰', '浩'];
const CITIES = ['上海', '北京', '杭州', '深圳', '广州', '成都', '南京', '武汉', '苏州', '重庆'];
export const memberNo = (i: number) => `M${String(10_000_000 + i)}`;

/** Writes `members` rows (seeded: the same file every time) and returns the file's size in bytes. */
export function writeMembersCsv(file: string, members: number): number {
  const r = rng(42);
  const lines = [MEMBER_COLUMNS.join(',')];
  for (let i = 0; i < members; i++) {
    lines.push(
      [
        memberNo(i), `1${r.pick(['3', '5', '7', '8', '9'])}${String(i).padStart(9, '0')}`, r.pick(SURNAMES) + r.pick(GIVEN) + r.pick(GIVEN),
        r.next() < 0.85 ? 'female' : 'male', r.pick(CITIES), `${r.int(1970, 2005)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
        r.pick(['普通', '银卡', '金卡', '黑卡']), new Date(Date.UTC(2024, 0, 1) + r.int(0, 700) * 86_400_000).toISOString(),
      ].join(','),
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return fs.statSync(file).size;
}
