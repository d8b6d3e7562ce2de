// Building blocks shared by the candidate screens and the staff console.

import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { artefactImage, type CommandError } from './api';
import { useI18n } from './i18n';
import type { Reason } from './types';

type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'quiet';

export function Button(props: {
  variant?: ButtonVariant;
  size?: 'lg' | 'md';
  busy?: boolean;
  disabled?: boolean;
  onClick?: () => void;
  type?: 'button' | 'submit';
  id?: string;
  class?: string;
  children: ComponentChildren;
  describedBy?: string;
  pressed?: boolean;
  autoFocus?: boolean;
}) {
  const variant = props.variant ?? 'primary';
  const size = props.size ?? 'lg';
  const classes = ['btn', `btn--${variant}`, `btn--${size}`, props.busy ? 'is-busy' : '', props.class ?? '']
    .filter(Boolean)
    .join(' ');
  return (
    <button
      type={props.type ?? 'button'}
      id={props.id}
      class={classes}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy ? 'true' : undefined}
      aria-describedby={props.describedBy}
      aria-pressed={props.pressed === undefined ? undefined : props.pressed}
      autoFocus={props.autoFocus}
      onClick={props.onClick}
    >
      {props.busy ? <span class="spinner spinner--inline" aria-hidden="true" /> : null}
      <span class="btn__label">{props.children}</span>
    </button>
  );
}

/** A failure or information message whose text comes from Rust in both languages. */
export function ReasonNotice(props: { reason: Reason; title?: string; tone?: 'error' | 'info' | 'warning'; id?: string }) {
  const { pick } = useI18n();
  const tone = props.tone ?? 'error';
  return (
    <div class={`notice notice--${tone}`} role={tone === 'error' ? 'alert' : 'status'} id={props.id} data-reason={props.reason.code}>
      <Icon name={tone === 'info' ? 'info' : 'alert'} />
      <div class="notice__body">
        {props.title ? <p class="notice__title">{props.title}</p> : null}
        <p class="notice__text">{pick(props.reason)}</p>
      </div>
    </div>
  );
}

/** A command's error, localised by its code (errors.<code>), falling back to Rust's message. */
export function ErrorNotice(props: { error: CommandError; onRetry?: () => void; onDismiss?: () => void }) {
  const { t, tOr } = useI18n();
  return (
    <div class="notice notice--error notice--floating" role="alert" data-error={props.error.code}>
      <Icon name="alert" />
      <div class="notice__body">
        <p class="notice__title">{t('errors.title')}</p>
        <p class="notice__text">{tOr(`errors.${props.error.code}`, props.error.message)}</p>
      </div>
      <div class="notice__actions">
        {props.error.retryable && props.onRetry ? (
          <Button variant="secondary" size="md" onClick={props.onRetry}>
            {t('common.retry')}
          </Button>
        ) : null}
        {props.onDismiss ? (
          <Button variant="quiet" size="md" onClick={props.onDismiss}>
            {t('common.dismiss')}
          </Button>
        ) : null}
      </div>
    </div>
  );
}

/** An artefact (photo, signature) fetched through `artefact_image`. */
export function ArtefactImage(props: { id: string | null; alt: string; class?: string; imgId?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<{ id: string; url: string | null; failed: boolean } | null>(null);
  useEffect(() => {
    if (!props.id) return;
    let live = true;
    const id = props.id;
    setState({ id, url: null, failed: false });
    artefactImage(id).then(
      (image) => live && setState({ id, url: image.dataUrl, failed: false }),
      () => live && setState({ id, url: null, failed: true }),
    );
    return () => {
      live = false;
    };
  }, [props.id]);

  const classes = `artefact ${props.class ?? ''}`;
  if (!props.id || state?.failed) {
    return (
      <div class={`${classes} artefact--empty`} role="img" aria-label={`${props.alt}: ${t('image.missing')}`}>
        <Icon name="image" />
        <span>{t('image.missing')}</span>
      </div>
    );
  }
  if (!state || state.id !== props.id || !state.url) {
    return (
      <div class={`${classes} artefact--loading`} role="img" aria-label={t('image.loading')}>
        <span class="spinner" aria-hidden="true" />
      </div>
    );
  }
  return (
    <div class={classes}>
      <img id={props.imgId} src={state.url} alt={props.alt} data-artefact={props.id} />
    </div>
  );
}

export function Modal(props: { titleId: string; children: ComponentChildren; class?: string; onEscape?: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('[autofocus], button, input, select, textarea');
    first?.focus();
    return () => previous?.focus?.();
  }, []);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && props.onEscape) {
      event.stopPropagation();
      props.onEscape();
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>('button, input, select, textarea, [tabindex="0"]')].filter(
      (el) => !(el as HTMLButtonElement).disabled,
    );
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return (
    <div class="modal-backdrop">
      <div class={`modal ${props.class ?? ''}`} role="dialog" aria-modal="true" aria-labelledby={props.titleId} ref={ref} onKeyDown={onKeyDown}>
        {props.children}
      </div>
    </div>
  );
}

/** Seconds left from `seconds`, counting down once a second; restarts when `key` changes. */
export function useCountdown(seconds: number | null, key: unknown): number | null {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    if (seconds === null) return;
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [seconds, key]);
  return left;
}

const ICONS: Record<string, JSX.Element> = {
  alert: (
    <>
      <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M12 6.5v7" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" />
      <circle cx="12" cy="17.2" r="1.4" fill="currentColor" />
    </>
  ),
  info: (
    <>
      <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M12 10.5v7" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" />
      <circle cx="12" cy="6.8" r="1.4" fill="currentColor" />
    </>
  ),
  check: <path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" />,
  image: (
    <>
      <rect x="3" y="4" width="18" height="16" rx="2" fill="none" stroke="currentColor" stroke-width="1.8" />
      <circle cx="9" cy="10" r="2" fill="currentColor" />
      <path d="M4 18l5-5 4 4 3-3 4 4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
    </>
  ),
  staff: (
    <>
      <circle cx="12" cy="8" r="4" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </>
  ),
  globe: (
    <>
      <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="1.8" />
      <path d="M3 12h18M12 3c2.8 3 2.8 15 0 18M12 3c-2.8 3-2.8 15 0 18" fill="none" stroke="currentColor" stroke-width="1.6" />
    </>
  ),
  sound: (
    <>
      <path d="M4 9h4l5-4v14l-5-4H4z" fill="currentColor" />
      <path d="M16 8.5c1.4 1.9 1.4 5.1 0 7M18.5 6c2.6 3.4 2.6 8.6 0 12" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
    </>
  ),
  mute: (
    <>
      <path d="M4 9h4l5-4v14l-5-4H4z" fill="currentColor" />
      <path d="M16.5 9.5l5 5M21.5 9.5l-5 5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
    </>
  ),
  done: (
    <>
      <circle cx="12" cy="12" r="10.5" fill="currentColor" />
      <path d="M7 12.4l3.3 3.3L17 9" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" />
    </>
  ),
};

export function Icon(props: { name: keyof typeof ICONS | string; class?: string }) {
  return (
    <svg class={`icon ${props.class ?? ''}`} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {ICONS[props.name] ?? null}
    </svg>
  );
}

/** The emblem in the corner (also the staff console's hidden entrance). */
export function Emblem() {
  return (
    <svg class="emblem" viewBox="0 0 48 48" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="46" height="46" rx="12" fill="#0f4c9c" />
      <path d="M10 17l14-7 14 7-14 7z" fill="#fff" />
      <path d="M16 21v8c0 2.6 3.6 5 8 5s8-2.4 8-5v-8l-8 4z" fill="#fff" opacity="0.92" />
      <path d="M36 18.5v9" stroke="#f2c94c" stroke-width="2.2" stroke-linecap="round" />
      <circle cx="36" cy="29" r="2" fill="#f2c94c" />
    </svg>
  );
}
