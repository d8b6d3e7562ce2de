// The manual review's identity section (`Review.identity`): the card's facts next to the
// registration's, differences marked by an icon and a word (not by colour alone), both languages.

import { afterEach, describe, expect, it } from 'vitest';
import { IdentitySection, fieldDiffers } from '../src/staff/Identity';
import { ReviewPanel } from '../src/staff/Panels';
import type { Identity, Locale, Review } from '../src/types';
import { $, $$, clearMocks, fixture, mockCommands, mount, unmount } from './helpers';

const review = fixture<Review>('review.json');
const identity = (patch: Partial<Identity> = {}): Identity => ({ ...structuredClone(review.identity!), ...patch });

afterEach(() => {
  unmount();
  clearMocks();
});

const row = (root: HTMLElement, field: string) => $(`tr[data-field="${field}"]`, root);
const cell = (root: HTMLElement, field: string, source: 'card' | 'registration') => $(`td[data-source="${source}"]`, row(root, field)).textContent;
/** What a screen reader reads for a row header: the visible text and the visually hidden text. */
const rowHeader = (root: HTMLElement, field: string) => $('th', row(root, field)).textContent;

describe('the identity section', () => {
  it('the fixture has the new field as docs/ipc.md describes it', () => {
    expect(review.identity).toEqual({
      card: { name: '张伟', sex: 'male', birthDate: '1998-03-14' },
      registration: { name: '张玮', sex: 'male', birthDate: '1998-03-14' },
      idNumber: '4201**********3416',
      registrationId: '2027420100123',
    });
  });

  it('zh-CN: card and registration side by side, the differing name marked with icon and text', () => {
    const root = mount(<IdentitySection identity={identity()} />);
    const section = $('[data-testid="identity"]', root);
    expect(section.getAttribute('aria-labelledby')).toBe('identity-title');
    expect($('#identity-title', root).textContent).toBe('身份信息核对');
    expect($$('thead th', root).map((th) => [th.textContent, th.getAttribute('scope')])).toEqual([
      ['项目', 'col'],
      ['身份证', 'col'],
      ['报名信息', 'col'],
    ]);
    expect($$('tbody tr', root).map((tr) => tr.dataset.field)).toEqual(['name', 'sex', 'birthDate']);
    expect($$('tbody th', root).every((th) => th.getAttribute('scope') === 'row')).toBe(true);

    // the name differs: the row is marked, with an icon and the word, and a label for screen readers
    const name = row(root, 'name');
    expect(name.dataset.differs).toBe('true');
    expect(name.classList.contains('is-different')).toBe(true);
    const marker = $('[data-testid="differs"]', name);
    expect(marker.querySelector('svg.icon')).not.toBeNull();
    expect(marker.querySelector('svg')!.getAttribute('aria-hidden')).toBe('true');
    expect(marker.textContent).toContain('不一致');
    expect($('.visually-hidden', marker).textContent).toBe('：身份证与报名信息不同');
    expect(rowHeader(root, 'name')).toBe('姓名不一致：身份证与报名信息不同');
    expect(cell(root, 'name', 'card')).toBe('张伟');
    expect(cell(root, 'name', 'registration')).toBe('张玮');

    // equal fields are shown without any marker
    for (const field of ['sex', 'birthDate']) {
      expect(row(root, field).dataset.differs).toBe('false');
      expect(row(root, field).classList.contains('is-different')).toBe(false);
      expect(row(root, field).querySelector('[data-testid="differs"]')).toBeNull();
    }
    expect($$('[data-testid="differs"]', root)).toHaveLength(1);
    expect(rowHeader(root, 'sex')).toBe('性别');
    expect([cell(root, 'sex', 'card'), cell(root, 'sex', 'registration')]).toEqual(['男', '男']);
    expect([cell(root, 'birthDate', 'card'), cell(root, 'birthDate', 'registration')]).toEqual(['1998年3月14日', '1998年3月14日']);

    expect($('[data-testid="id-number"]', root).textContent).toBe('4201**********3416');
    expect($('[data-testid="registration-id"]', root).textContent).toBe('2027420100123');
    expect(section.textContent).toContain('身份证号');
    expect(section.textContent).toContain('报名号');
  });

  it('en: the same table in English, dates as "14 Mar 1998", the marker reads "Differs"', () => {
    const root = mount(<IdentitySection identity={identity()} />, 'en');
    expect($('#identity-title', root).textContent).toBe('ID card and registration');
    expect($$('thead th', root).map((th) => th.textContent)).toEqual(['Field', 'On the ID card', 'Registered']);
    expect(rowHeader(root, 'name')).toBe('NameDiffers: the ID card and the registration do not match');
    expect($('[data-testid="differs"]', root).textContent).toContain('Differs');
    expect(rowHeader(root, 'sex')).toBe('Sex');
    expect(rowHeader(root, 'birthDate')).toBe('Date of birth');
    expect([cell(root, 'sex', 'card'), cell(root, 'sex', 'registration')]).toEqual(['Male', 'Male']);
    expect([cell(root, 'birthDate', 'card'), cell(root, 'birthDate', 'registration')]).toEqual(['14 Mar 1998', '14 Mar 1998']);
    expect($('.identity__numbers', root).textContent).toBe('ID card number4201**********3416Registration number2027420100123');
  });

  it('marks a differing sex and birth date, and only those', () => {
    const root = mount(<IdentitySection identity={identity({ registration: { name: '张伟', sex: 'female', birthDate: '1998-04-14' } })} />);
    expect($$('tbody tr', root).map((tr) => tr.dataset.differs)).toEqual(['false', 'true', 'true']);
    expect([cell(root, 'sex', 'card'), cell(root, 'sex', 'registration')]).toEqual(['男', '女']);
    expect([cell(root, 'birthDate', 'card'), cell(root, 'birthDate', 'registration')]).toEqual(['1998年3月14日', '1998年4月14日']);
    expect($$('[data-testid="differs"]', root)).toHaveLength(2);
  });

  it.each<[Locale, string[]]>([
    ['zh-CN', ['男', '女', '未知', '未说明']],
    ['en', ['Male', 'Female', 'Unknown', 'Not stated']],
  ])('%s: the four values of sex', (locale, expected) => {
    const shown = (['male', 'female', 'unknown', 'unspecified'] as const).map((sex) => {
      const root = mount(<IdentitySection identity={identity({ card: { ...identity().card, sex } })} />, locale);
      return cell(root, 'sex', 'card');
    });
    expect(shown).toEqual(expected);
  });

  it('an unknown sex value or an unparsable date is shown as it came', () => {
    const card = { name: '张伟', sex: 'x' as never, birthDate: '1998-02-30' };
    const root = mount(<IdentitySection identity={identity({ card })} />);
    expect(cell(root, 'sex', 'card')).toBe('x');
    expect(cell(root, 'birthDate', 'card')).toBe('1998-02-30');
    expect(row(root, 'sex').dataset.differs).toBe('true');
  });

  it.each<[Locale, string, string]>([
    ['zh-CN', '未找到报名信息', '无'],
    ['en', 'No registration found', 'None'],
  ])('%s: no registration found: said once across the registration column, nothing marked', (locale, missing, none) => {
    const root = mount(<IdentitySection identity={identity({ registration: null, registrationId: null })} />, locale);
    const cells = $$('td[data-source="registration"]', root);
    expect(cells).toHaveLength(1);
    expect(cells[0]!.textContent).toBe(missing);
    expect(cells[0]!.getAttribute('rowspan')).toBe('3');
    expect(cells[0]!.querySelector('svg.icon')).not.toBeNull();
    expect($$('[data-testid="differs"]', root)).toEqual([]);
    expect($$('tbody tr', root).map((tr) => tr.dataset.differs)).toEqual(['false', 'false', 'false']);
    // the card's facts are still there
    expect(cell(root, 'name', 'card')).toBe('张伟');
    expect($('[data-testid="id-number"]', root).textContent).toBe('4201**********3416');
    expect($('[data-testid="registration-id"]', root).textContent).toBe(none);
  });

  it('null (the card not read yet) or absent renders nothing', () => {
    expect(mount(<IdentitySection identity={null} />).innerHTML).toBe('');
    expect(mount(<IdentitySection identity={undefined} />, 'en').innerHTML).toBe('');
  });

  it('adds no tab stops: staff keyboard order through the review stays as it was', () => {
    const root = mount(<IdentitySection identity={identity()} />);
    expect($$('button, a[href], input, select, textarea, [tabindex]', root)).toEqual([]);
  });
});

describe('names compared', () => {
  it('ignores padding and Unicode normal forms, nothing else', () => {
    const base = { name: '张伟', sex: 'male', birthDate: '1998-03-14' } as const;
    expect(fieldDiffers('name', base, { ...base, name: ' 张伟 ' })).toBe(false);
    expect(fieldDiffers('name', { ...base, name: 'Zoe\u0301' }, { ...base, name: 'Zo\u00e9' })).toBe(false);
    expect(fieldDiffers('name', base, { ...base, name: '张玮' })).toBe(true);
    expect(fieldDiffers('sex', base, { ...base, sex: 'unspecified' })).toBe(true);
    expect(fieldDiffers('birthDate', base, { ...base })).toBe(false);
  });
});

describe('in the review panel', () => {
  const panel = (r: Review, locale: Locale = 'zh-CN') => {
    mockCommands({ artefact_image: (args) => ({ mime: 'image/png', dataUrl: `data:image/png;base64,${btoa(String(args?.id))}` }) });
    return mount(<ReviewPanel review={r} loading={false} onRefresh={() => undefined} command={async () => undefined} view={null} />, locale);
  };

  it('sits between the photos and the scores', () => {
    const root = panel(review);
    const order = $$('.panel--review > *', root).map((el) => el.className);
    expect(order.indexOf('identity')).toBe(order.indexOf('evidence') + 1);
    expect(order.indexOf('review-detail')).toBe(order.indexOf('identity') + 1);
    expect($('[data-field="name"]', root).dataset.differs).toBe('true');
  });

  it('identity null: no section, the rest of the review unchanged', () => {
    const root = panel({ ...review, identity: null }, 'en');
    expect(root.querySelector('[data-testid="identity"]')).toBeNull();
    expect(root.querySelector('.identity')).toBeNull();
    expect($$('.evidence figure', root)).toHaveLength(3);
    expect($$('.score', root)).toHaveLength(5);
  });
});
