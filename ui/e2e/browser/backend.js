// A mock kiosk backend for the built UI in headless Chromium. It answers the commands of
// docs/ipc.md from the contract fixtures (window.__FIXTURES__, set by the test before the page
// loads) and lets the test drive the flow through window.__kiosk (emit events, finish long
// commands). Loaded as a module before the app's own script.

import { mockIPC } from '/__tauri_api/mocks.js';

const F = window.__FIXTURES__;
const clone = (value) => JSON.parse(JSON.stringify(value));
const fixture = (name) => clone(F[name]);

const state = {
  view: null,
  calls: [],
  pending: new Map(),
  failNext: new Map(),
  /** What `review` answers; null: the fixture (review.json). */
  review: null,
  /** What `desk_status` answers; null: the fixture (desk-status.json). */
  desk: null,
  /** What `today_list` answers; null: the fixture (today-list.json). */
  today: null,
};

const desk = () => (state.desk ? clone(state.desk) : fixture('desk-status.json'));

/** `sync_now` / `sync_export`: the worker with the job queued, or the contract's refusal. */
function queueSync(job) {
  const worker = desk().sync.worker;
  const configured = job === 'push' ? worker.hub !== null : worker.canExport;
  if (!configured) return Promise.reject({ code: 'sync.not_configured', message: `no hub configured for ${job}`, retryable: false });
  const status = desk();
  status.sync.worker = { ...worker, running: worker.running ?? job };
  // like the worker: the job stays queued (and in desk_status) until the test ends the run
  state.desk = status;
  return clone(status.sync.worker);
}

function settle(name) {
  return new Promise((resolve, reject) => state.pending.set(name, { resolve, reject }));
}

function emit(event, payload) {
  return window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload });
}

function setView(view) {
  state.view = view;
  return emit('kiosk://step-changed', view);
}

// The live preview: `kiosk://camera-frame` `fps` times a second from a template, each with the
// next seq and the time left counting down from the template's remainingMs, until stopCamera.
const camera = { timer: null, seq: 1 };

function stopCamera() {
  clearInterval(camera.timer);
  camera.timer = null;
}

function startCamera(template, fps = 15) {
  stopCamera();
  const started = performance.now();
  const send = () =>
    emit('kiosk://camera-frame', {
      ...template,
      seq: camera.seq++,
      remainingMs: Math.max(0, Math.round(template.remainingMs - (performance.now() - started))),
    });
  void send();
  camera.timer = setInterval(() => void send(), 1000 / fps);
}

const handlers = {
  app_info: () => fixture('app-info.json'),
  documents: () => fixture('documents.json'),
  current_view: () => state.view,
  start_session: () => (state.view = fixture('view-consent.json')),
  give_consent: () => settle('give_consent'),
  decline_consent: () => settle('decline_consent'),
  retry: () => settle('retry'),
  read_card_with: () => settle('read_card_with'),
  accept_pledge: () => (state.view = { ...fixture('view-signature-preview.json'), signaturePreview: null }),
  decline_pledge: () => (state.view = fixture('view-ended.json')),
  signature_stroke: () => null,
  signature_clear: () => null,
  signature_done: () => {
    setTimeout(() => void setView(fixture('view-signature-preview.json')), 150);
    return null;
  },
  accept_signature: () => (state.view = fixture('view-confirmed.json')),
  activity: () => state.view,
  artefact_image: ({ id }) => {
    const image = F.images[id];
    if (!image) return Promise.reject({ code: 'artefact.not_found', message: `no artefact ${id}`, retryable: false });
    return image;
  },
  staff_sign_in: () => fixture('staff.json'),
  staff_sign_out: () => null,
  desk_status: () => desk(),
  today_list: () => (state.today ? clone(state.today) : fixture('today-list.json')),
  sync_now: () => queueSync('push'),
  sync_export: () => queueSync('export'),
  review: () => (state.review ? clone(state.review) : fixture('review.json')),
  card_from_images: () => state.view,
  staff_command: ({ command }) => state.view,
};

mockIPC(
  async (cmd, args) => {
    state.calls.push({ cmd, args: clone(args ?? {}) });
    const failure = state.failNext.get(cmd);
    if (failure) {
      state.failNext.delete(cmd);
      throw failure;
    }
    const handler = handlers[cmd];
    if (!handler) throw `command ${cmd} not found`;
    return handler(args ?? {});
  },
  { shouldMockEvents: true },
);

window.__kiosk = {
  state,
  emit,
  setView,
  startCamera,
  stopCamera,
  /** Finishes a long command (give_consent, retry …) with a view. */
  finish(name, view) {
    const pending = state.pending.get(name);
    if (!pending) throw new Error(`${name} is not running`);
    state.pending.delete(name);
    state.view = view;
    pending.resolve(view);
  },
  /** Answers `review` with this (null: the fixture again); the console shows it on its next refresh. */
  setReview(review) {
    state.review = review;
  },
  /** Answers `desk_status` with this (null: the fixture again); the console shows it on its next refresh. */
  setDesk(status) {
    state.desk = status;
  },
  /** Answers `today_list` with this (null: the fixture again); the console shows it on its next refresh. */
  setToday(rows) {
    state.today = rows;
  },
  failNext(cmd, error) {
    state.failNext.set(cmd, error);
  },
  calls: (cmd) => state.calls.filter((call) => call.cmd === cmd),
};
