// The frame around every candidate screen: header (emblem, title, language), the demo banner, the
// six-step progress bar, the screen, and a footer with the site and help line.

import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import { Emblem, Icon } from '../components';
import { useI18n } from '../i18n';
import { CANDIDATE_STEPS, type AppInfo, type Locale, type View } from '../types';

export const STAFF_LONG_PRESS_MS = 3000;

/** Long press on the emblem opens the staff console; a tap does nothing visible. */
export function useLongPress(onFire: () => void, ms = STAFF_LONG_PRESS_MS) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  };
  return {
    onPointerDown: () => {
      cancel();
      timer.current = setTimeout(() => {
        timer.current = null;
        onFire();
      }, ms);
    },
    onPointerUp: cancel,
    onPointerLeave: cancel,
    onPointerCancel: cancel,
    onContextMenu: (event: Event) => event.preventDefault(),
  };
}

export function LanguageToggle(props: { onToggle: () => void }) {
  const { t } = useI18n();
  return (
    <button type="button" class="lang-toggle" id="lang-toggle" onClick={props.onToggle} aria-label={t('lang.switchLabel')}>
      <Icon name="globe" />
      <span lang={t('lang.switchTo') === 'EN' ? 'en' : 'zh-CN'}>{t('lang.switchTo')}</span>
    </button>
  );
}

export function Header(props: {
  onToggleLocale: () => void;
  onOpenStaff: () => void;
  /** The progress bar: beside the title in landscape, on its own row in portrait. */
  progress?: ComponentChildren;
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const longPress = useLongPress(props.onOpenStaff);
  return (
    <header class="topbar">
      <div class="brand" {...longPress} data-testid="emblem" aria-label={t('app.logoLabel')} role="img">
        <Emblem />
        <div class="brand__text" aria-hidden="true">
          <span class="brand__title">{t('app.title')}</span>
          <span class="brand__subtitle">{t('app.subtitle')}</span>
        </div>
      </div>
      {props.progress}
      <div class="topbar__end">
        {props.children}
        <LanguageToggle onToggle={props.onToggleLocale} />
      </div>
    </header>
  );
}

export function SimBanner() {
  const { t } = useI18n();
  return (
    <div class="sim-banner" role="note" id="sim-banner">
      <Icon name="info" />
      <span>{t('app.simBanner')}</span>
    </div>
  );
}

/** Index (0..5) of the step the view is on in the progress bar; 6 = all done. */
export function progressIndex(view: View | null): number {
  if (!view) return -1;
  if (view.phase === 'confirmed' || view.step === 'commit') return CANDIDATE_STEPS.length;
  const index = CANDIDATE_STEPS.indexOf(view.step as (typeof CANDIDATE_STEPS)[number]);
  return index;
}

export function Progress(props: { view: View | null }) {
  const { t } = useI18n();
  const current = progressIndex(props.view);
  return (
    <nav class="progress" aria-label={t('progress.label')}>
      <ol>
        {CANDIDATE_STEPS.map((step, i) => {
          const state = i < current ? 'done' : i === current ? 'current' : 'todo';
          return (
            <li class={`progress__step is-${state}`} key={step} aria-current={state === 'current' ? 'step' : undefined} data-step={step}>
              <span class="progress__dot" aria-hidden="true">
                {state === 'done' ? <Icon name="check" /> : i + 1}
              </span>
              <span class="progress__label">
                {t(`steps.${step}`)}
                {state === 'done' ? <span class="visually-hidden">{` · ${t('progress.done')}`}</span> : null}
              </span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

export function Footer(props: { info: AppInfo | null }) {
  const { t } = useI18n();
  return (
    <footer class="footbar">
      <span class="footbar__help">
        <Icon name="staff" />
        {t('app.footerHelp')}
      </span>
      {props.info ? (
        <span class="footbar__site">
          {t('app.footerSite', { name: props.info.site.name, code: props.info.site.code })}
          <span class="footbar__version">{t('app.footerVersion', { version: props.info.version })}</span>
        </span>
      ) : null}
    </footer>
  );
}

export function nextLocale(locale: Locale): Locale {
  return locale === 'zh-CN' ? 'en' : 'zh-CN';
}
