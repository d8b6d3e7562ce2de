import { Button, Icon } from '../components';
import { useI18n } from '../i18n';
import { Markdown } from '../markdown';
import type { Documents, View } from '../types';
import { Screen, type Busy, type CandidateActions } from './Screen';

export function Consent(props: { view: View; docs: Documents | null; actions: CandidateActions; busy: Busy }) {
  const { t, pick } = useI18n();
  const working = props.busy.has('giveConsent') || props.busy.has('declineConsent');
  return (
    <Screen
      name="consent"
      title={t('consent.title')}
      lead={t('consent.lead')}
      view={props.view}
      actions={
        <>
          <Button
            id="decline-consent"
            variant="secondary"
            busy={props.busy.has('declineConsent')}
            disabled={working}
            onClick={props.actions.declineConsent}
            describedBy="decline-note"
          >
            {t('consent.decline')}
          </Button>
          <Button id="give-consent" busy={props.busy.has('giveConsent')} disabled={working || !props.docs} onClick={props.actions.giveConsent}>
            {t('consent.agree')}
          </Button>
        </>
      }
    >
      <div class="document" tabIndex={0} aria-label={t('consent.title')} data-testid="consent-text">
        {props.docs ? <Markdown source={pick(props.docs.consent)} /> : <span class="spinner" aria-hidden="true" />}
      </div>
      <div class="document-meta">
        <p class="decline-note" id="decline-note">
          <Icon name="info" />
          <span>{t('consent.declineNote')}</span>
        </p>
        {props.docs ? <p class="doc-version">{t('consent.version', { version: props.docs.consent.version })}</p> : null}
      </div>
    </Screen>
  );
}
