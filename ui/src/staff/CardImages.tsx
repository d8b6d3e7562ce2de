// Staff read the card from two image files (a photo or scan of each side) at the card step, when
// neither the reader nor the camera can (`card_from_images`). What is read goes to review like any
// camera read. A file that cannot be read comes back as `card.image`, with the kiosk's reason.

import { useState } from 'preact/hooks';
import * as api from '../api';
import { Button, Icon } from '../components';
import { useI18n } from '../i18n';
import type { CardSide } from '../types';

/** The image types the kiosk reads. */
export const CARD_IMAGE_TYPES = 'image/jpeg,image/png';

/** A file's bytes, as the command takes them (a JSON array of numbers). */
export async function fileBytes(file: Blob): Promise<number[]> {
  const buffer =
    typeof file.arrayBuffer === 'function'
      ? await file.arrayBuffer()
      : await new Promise<ArrayBuffer>((resolve, reject) => {
          const reader = new FileReader();
          reader.onload = () => resolve(reader.result as ArrayBuffer);
          reader.onerror = () => reject(reader.error);
          reader.readAsArrayBuffer(file);
        });
  return Array.from(new Uint8Array(buffer));
}

/** An error's text: `card.image` with the kiosk's reason after it, any other code by its own text. */
export function cardImageError(error: api.CommandError, tOr: (key: string, fallback: string) => string): string {
  if (error.code === 'card.image') return `${tOr('errors.card.image', '')}${error.message}`;
  return tOr(`errors.${error.code}`, error.message);
}

export function CardImagesForm(props: {
  /** Sends the two files' bytes (`card_from_images`); rejects with a CommandError. */
  submit: (front: number[], back: number[]) => Promise<void>;
}) {
  const { t, tOr } = useI18n();
  const [files, setFiles] = useState<Record<CardSide, File | null>>({ front: null, back: null });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<api.CommandError | null>(null);
  const [done, setDone] = useState(false);
  const ready = files.front !== null && files.back !== null;

  const choose = (side: CardSide) => (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0] ?? null;
    setFiles((current) => ({ ...current, [side]: file }));
    setError(null);
    setDone(false);
  };

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (!files.front || !files.back || busy) return;
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const [front, back] = await Promise.all([fileBytes(files.front), fileBytes(files.back)]);
      await props.submit(front, back);
      setDone(true);
    } catch (raw) {
      setError(api.toCommandError(raw));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card-images" onSubmit={onSubmit} noValidate aria-labelledby="card-images-title" data-testid="card-images">
      <h3 class="panel__sub" id="card-images-title">
        {t('staff.cardImages.title')}
      </h3>
      <p class="card-images__lead">{t('staff.cardImages.lead')}</p>
      <div class="card-images__files">
        {(['front', 'back'] as const).map((side) => (
          <div class="field card-images__file" key={side}>
            <label for={`card-image-${side}`}>{t(side === 'front' ? 'staff.cardImages.front' : 'staff.cardImages.back')}</label>
            {/* the browser's own button speaks the system's language: a label in ours stands in for it */}
            <input
              id={`card-image-${side}`}
              class="visually-hidden card-images__input"
              name={side}
              type="file"
              accept={CARD_IMAGE_TYPES}
              onChange={choose(side)}
            />
            <label for={`card-image-${side}`} class={`card-images__pick ${files[side] ? 'has-file' : ''}`} data-testid={`card-image-${side}-pick`}>
              <Icon name={files[side] ? 'check' : 'image'} />
              <span class="card-images__name">{files[side]?.name ?? t('staff.cardImages.choose')}</span>
            </label>
          </div>
        ))}
      </div>
      {error ? (
        <p class="field__error" role="alert" data-error={error.code} data-testid="card-images-error">
          {cardImageError(error, tOr)}
        </p>
      ) : done ? (
        <p class="inline-ok" role="status" data-testid="card-images-done">
          <Icon name="check" />
          <span>{t('staff.cardImages.done')}</span>
        </p>
      ) : !ready ? (
        <p class="card-images__hint" id="card-images-need">
          {t('staff.cardImages.needBoth')}
        </p>
      ) : null}
      <div class="card-images__actions">
        <Button type="submit" size="md" id="card-images-submit" busy={busy} disabled={!ready} describedBy={ready ? undefined : 'card-images-need'}>
          {t('staff.cardImages.submit')}
        </Button>
      </div>
    </form>
  );
}
