// The manual review of a card read by the camera (`Review.ocr`, docs/ipc.md): the two straightened
// sides side by side, beside every field as read (never corrected) with its confidence, and a
// mark with its explanation on each field the kiosk has doubts about. Staff check each field
// against the card in hand before they approve.

import { useState } from 'preact/hooks';
import { Button, Icon, Modal } from '../components';
import { useI18n } from '../i18n';
import type { CardSide, OcrField, OcrReview } from '../types';

/** The fields shown in a monospace font (digits and dates staff compare character by character). */
export const MONO_FIELDS: ReadonlySet<string> = new Set(['id_number', 'validity']);

/** A confidence (0..1) as a whole percentage: 0.5625 → "56%". */
export function confidencePercent(confidence: number): string {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(confidence) ? confidence : 0));
  return `${Math.round(clamped * 100)}%`;
}

function OcrRow(props: { field: OcrField }) {
  const { t, tOr } = useI18n();
  const { field } = props;
  const label = tOr(`staff.ocr.fields.${field.field}`, field.field);
  const problem = field.problem;
  return (
    <tr data-field={field.field} data-side={field.side} data-problem={problem ?? undefined} class={problem ? 'has-problem' : undefined}>
      <th scope="row">
        <span class="ocr__label">{label}</span>
        {problem ? (
          <span class="ocr__problem" data-testid="ocr-problem" data-problem={problem}>
            <Icon name="alert" />
            {tOr(`staff.ocr.problem.${problem}`, problem)}
            <span class="visually-hidden">{t('staff.ocr.problemLabel')}</span>
          </span>
        ) : null}
      </th>
      <td class={`ocr__text ${MONO_FIELDS.has(field.field) ? 'mono' : ''}`} data-testid="ocr-text" lang="zh-CN">
        {field.text === '' ? <span class="ocr__empty">{t('staff.ocr.empty')}</span> : field.text}
      </td>
      <td class="ocr__confidence" data-testid="ocr-confidence">
        {confidencePercent(field.confidence)}
      </td>
    </tr>
  );
}

export function OcrSection(props: { ocr: OcrReview | null | undefined }) {
  const { t } = useI18n();
  const [zoom, setZoom] = useState<CardSide | null>(null);
  const { ocr } = props;
  if (!ocr) return null;
  const problems = ocr.fields.filter((field) => field.problem !== null).length;
  const images: [CardSide, string][] = [
    ['front', ocr.frontImage],
    ['back', ocr.backImage],
  ];
  const alt = (side: CardSide) => t(side === 'front' ? 'staff.ocr.frontAlt' : 'staff.ocr.backAlt');
  return (
    <section class="ocr" aria-labelledby="ocr-title" data-testid="ocr">
      <div class="ocr__head">
        <h3 class="panel__sub" id="ocr-title">
          {t('staff.ocr.title')}
        </h3>
        {problems > 0 ? (
          <span class="pill pill--problem" data-testid="ocr-problems">
            {t('staff.ocr.problems', { n: problems })}
          </span>
        ) : null}
      </div>
      <p class="inline-warning ocr__instruction" role="note" data-testid="ocr-instruction">
        <Icon name="alert" />
        {t('staff.ocr.instruction')}
      </p>
      <div class="ocr__body">
        <div class="ocr__images">
          {images.map(([side, src]) => (
            <figure key={side} data-side={side}>
              <button type="button" class="ocr__zoom" onClick={() => setZoom(side)} aria-label={alt(side)} id={`ocr-image-${side}`}>
                <img class="ocr__img" src={src} alt={alt(side)} data-testid={`ocr-image-${side}`} />
              </button>
              <figcaption>{t(side === 'front' ? 'staff.ocr.front' : 'staff.ocr.back')}</figcaption>
            </figure>
          ))}
        </div>
        <table class="ocr__table" aria-labelledby="ocr-title">
          <thead>
            <tr>
              <th scope="col">{t('staff.ocr.field')}</th>
              <th scope="col">{t('staff.ocr.text')}</th>
              <th scope="col">{t('staff.ocr.confidence')}</th>
            </tr>
          </thead>
          <tbody>
            {ocr.fields.map((field) => (
              <OcrRow field={field} key={`${field.side}-${field.field}`} />
            ))}
          </tbody>
        </table>
      </div>
      {zoom ? (
        <Modal titleId="ocr-zoom-title" class="modal--wide ocr__modal" onEscape={() => setZoom(null)}>
          <h2 id="ocr-zoom-title" class="modal__title">
            {t(zoom === 'front' ? 'staff.ocr.front' : 'staff.ocr.back')}
          </h2>
          <img class="ocr__zoomed" src={zoom === 'front' ? ocr.frontImage : ocr.backImage} alt={alt(zoom)} />
          <div class="modal__actions">
            <Button variant="secondary" size="md" autoFocus onClick={() => setZoom(null)}>
              {t('staff.actions.back')}
            </Button>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}
