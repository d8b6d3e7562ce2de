// The root: loads app_info/documents/current_view, listens to the kiosk events, and shows either
// the candidate kiosk or the staff console (#/staff). Rust owns the session; this keeps only the
// screen, the language and the staff token.

import { useEffect, useState } from 'preact/hooks';
import * as api from './api';
import { Button, ErrorNotice } from './components';
import { CandidateApp, type DeviceMap } from './candidate/CandidateApp';
import { nextLocale } from './candidate/Shell';
import { I18nProvider, useI18n } from './i18n';
import { StaffApp } from './staff/StaffApp';
import type { AppInfo, Documents, Locale, Staff, StaffAlertEvent, SyncProgressEvent, View } from './types';

export type Route = 'candidate' | 'staff';

export function routeOf(hash: string): Route {
  return /^#\/staff\b/.test(hash) ? 'staff' : 'candidate';
}

function Booting(props: { error: api.CommandError | null; onRetry: () => void }) {
  const { t } = useI18n();
  return (
    <div class="boot" role="status">
      {props.error ? (
        <>
          <h1 class="boot__title">{t('app.loadFailed')}</h1>
          <ErrorNotice error={props.error} />
          <Button onClick={props.onRetry} id="boot-retry">
            {t('common.retry')}
          </Button>
        </>
      ) : (
        <>
          <span class="spinner spinner--large" aria-hidden="true" />
          <p class="boot__title">{t('app.loading')}</p>
        </>
      )}
    </div>
  );
}

export function App() {
  const [route, setRoute] = useState<Route>(routeOf(location.hash));
  const [locale, setLocale] = useState<Locale>('zh-CN');
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [docs, setDocs] = useState<Documents | null>(null);
  const [bootError, setBootError] = useState<api.CommandError | null>(null);
  const [view, setView] = useState<View | null>(null);
  const [devices, setDevices] = useState<DeviceMap>({});
  const [alerts, setAlerts] = useState<StaffAlertEvent[]>([]);
  const [sync, setSync] = useState<SyncProgressEvent | null>(null);
  const [staff, setStaff] = useState<Staff | null>(null);

  const boot = async () => {
    setBootError(null);
    try {
      const [appInfo, documents, current] = await Promise.all([api.appInfo(), api.documents(), api.currentView()]);
      setInfo(appInfo);
      setLocale(appInfo.defaultLocale);
      setDocs(documents);
      setView(current);
    } catch (raw) {
      setBootError(api.toCommandError(raw));
    }
  };

  useEffect(() => {
    let stop: (() => void) | null = null;
    let stopped = false;
    void api
      .listenAll([
        api.onStepChanged(setView),
        api.onDeviceStatus((status) => setDevices((current) => ({ ...current, [status.device]: status }))),
        api.onStaffAlert((alert) => setAlerts((current) => [...current.slice(-9), alert])),
        api.onSyncProgress(setSync),
      ])
      .then((unlisten) => {
        if (stopped) unlisten();
        else stop = unlisten;
      })
      .finally(() => void boot());
    const onHash = () => setRoute(routeOf(location.hash));
    const onKey = (event: KeyboardEvent) => {
      // Ctrl+Alt+S opens the staff console from a keyboard (the emblem's long press on touch).
      if (event.ctrlKey && event.altKey && event.key.toLowerCase() === 's') location.hash = '#/staff';
    };
    window.addEventListener('hashchange', onHash);
    window.addEventListener('keydown', onKey);
    return () => {
      stopped = true;
      stop?.();
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const applyView = (next: View | null) => {
    setView(next);
    // Back at the start: the next candidate gets the default language.
    if (next === null && info) setLocale(info.defaultLocale);
  };

  const leaveStaff = () => {
    // Leaving the console signs out, so the candidate screen never leads to a signed-in console.
    if (staff) void api.staffSignOut(staff.token).catch(() => undefined);
    setStaff(null);
    // the staff's language choice does not carry over to the next candidate
    if (!view && info) setLocale(info.defaultLocale);
    location.hash = '#/';
    setRoute('candidate');
  };

  const toggleLocale = () => setLocale(nextLocale(locale));

  let body;
  if (route === 'staff') {
    body = (
      <StaffApp
        view={view}
        alerts={alerts}
        sync={sync}
        applyView={applyView}
        dismissAlert={() => setAlerts([])}
        onToggleLocale={toggleLocale}
        onBack={leaveStaff}
        staff={staff}
        setStaff={setStaff}
        cameraReadsCards={info?.cameraReadsCards ?? false}
      />
    );
  } else if (!info) {
    body = <Booting error={bootError} onRetry={() => void boot()} />;
  } else {
    body = (
      <CandidateApp
        info={info}
        docs={docs}
        view={view}
        devices={devices}
        applyView={applyView}
        onToggleLocale={toggleLocale}
        onOpenStaff={() => {
          location.hash = '#/staff';
          setRoute('staff');
        }}
      />
    );
  }
  return <I18nProvider locale={locale}>{body}</I18nProvider>;
}
