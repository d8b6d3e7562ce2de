// The manual review's identity check: what the ID card says next to what the registration says
// (name, sex, birth date), with the fields that differ marked by an icon and a text marker, plus the
// masked card number and the registration id (`Review.identity`, docs/ipc.md).

import { Icon } from '../components';
import { formatDate } from '../format';
import { useI18n } from '../i18n';
import type { Identity, PersonFacts } from '../types';

export const IDENTITY_FIELDS = ['name', 'sex', 'birthDate'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/**
 * Whether the card and the registration disagree on `field`. Names are compared after trimming and
 * Unicode normalisation (NFC), so padding or a different encoding of the same characters is not a
 * difference; sex and birth date are compared as sent.
 */
export function fieldDiffers(field: IdentityField, card: PersonFacts, registration: PersonFacts): boolean {
  if (field === 'name') return card.name.trim().normalize('NFC') !== registration.name.trim().normalize('NFC');
  return card[field] !== registration[field];
}

export function IdentitySection(props: { identity: Identity | null | undefined }) {
  const { t, tOr, locale } = useI18n();
  const { identity } = props;
  if (!identity) return null;
  const { card, registration } = identity;
  const show = (field: IdentityField, person: PersonFacts): string =>
    field === 'sex' ? tOr(`staff.sex.${person.sex}`, person.sex) : field === 'birthDate' ? formatDate(person.birthDate, locale) : person.name;

  return (
    <section class="identity" aria-labelledby="identity-title" data-testid="identity">
      <h3 class="panel__sub" id="identity-title">
        {t('staff.identity.title')}
      </h3>
      <table class="identity__table" aria-labelledby="identity-title">
        <thead>
          <tr>
            <th scope="col">{t('staff.identity.field')}</th>
            <th scope="col">{t('staff.identity.card')}</th>
            <th scope="col">{t('staff.identity.registration')}</th>
          </tr>
        </thead>
        <tbody>
          {IDENTITY_FIELDS.map((field, i) => {
            const differs = registration !== null && fieldDiffers(field, card, registration);
            return (
              <tr key={field} data-field={field} data-differs={differs ? 'true' : 'false'} class={differs ? 'is-different' : undefined}>
                <th scope="row">
                  <span class="identity__field">{t(`staff.identity.${field}`)}</span>
                  {differs ? (
                    <span class="identity__differs" data-testid="differs">
                      <Icon name="alert" />
                      {t('staff.identity.differs')}
                      <span class="visually-hidden">{t('staff.identity.differsLabel')}</span>
                    </span>
                  ) : null}
                </th>
                <td data-source="card">{show(field, card)}</td>
                {registration ? (
                  <td data-source="registration">{show(field, registration)}</td>
                ) : i === 0 ? (
                  <td data-source="registration" class="identity__missing" rowSpan={IDENTITY_FIELDS.length} data-testid="no-registration">
                    <Icon name="info" />
                    {t('staff.identity.noRegistration')}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      <dl class="facts identity__numbers">
        <div>
          <dt>{t('staff.identity.idNumber')}</dt>
          <dd class="mono" data-testid="id-number">
            {identity.idNumber}
          </dd>
        </div>
        <div>
          <dt>{t('staff.identity.registrationId')}</dt>
          <dd class={identity.registrationId ? 'mono' : 'identity__none'} data-testid="registration-id">
            {identity.registrationId ?? t('staff.identity.none')}
          </dd>
        </div>
      </dl>
    </section>
  );
}
