// Replay: the map (and the feed and incidents) as they were at a chosen time, and back to
// live. The time bar's slider runs over the whole recorded period (from the first report
// the server holds to the engine's time) or over a window the person chooses; Play moves
// the time forward at a chosen speed (replay seconds per real second) until the window's
// end, one step after the other (each waits for the units of the last, so that a slow
// answer never leaves the map behind the clock it shows).

import { h, clear, time, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN, num } from './util.js';
import { session, st, el, showError } from './state.js';
import { t } from './i18n.js';
import { takeUnits, pollUnits } from './units.js';
import { renderFeed } from './feed.js';
import { refreshIncidentsLayer } from './overlays.js';

export const SPEEDS = [1, 10, 60, 600, 3600];
const STEP_MS = 250; // real time between two steps while playing

st.play = { on: false, speed: 60, timer: 0, last: 0, steps: 0 };
st.replayWindow = { from: null, until: null };

/** The slider's range: the chosen window, else the whole recorded period. */
export function replayBounds() {
  if (!st.engineTime || st.historyFrom == null) return null;
  const whole = [st.historyFrom, Date.parse(st.engineTime)];
  const from = st.replayWindow.from != null ? Math.max(whole[0], Math.min(st.replayWindow.from, whole[1])) : whole[0];
  const until = st.replayWindow.until != null ? Math.min(whole[1], Math.max(st.replayWindow.until, from)) : whole[1];
  return [from, until];
}

export function updateSlider() {
  const b = replayBounds();
  if (!b || !el.slider) return;
  el.slider.min = String(b[0]);
  el.slider.max = String(b[1]);
  el.slider.disabled = b[1] <= b[0];
  if (el.playBtn) el.playBtn.disabled = b[1] <= b[0];
  if (st.replayAt == null) el.slider.value = String(b[1]);
  else el.slider.value = String(st.replayAt);
  el.timebar?.setAttribute('data-from', String(b[0]));
  el.timebar?.setAttribute('data-until', String(b[1]));
}

export function updateSliderLabel() {
  if (!el.sliderLabel) return;
  if (st.replayAt == null) clear(el.sliderLabel, t('replay.live'));
  else clear(el.sliderLabel, t('replay.at'), ' ', time(st.replayAt));
}

export async function replayTo(ms) {
  st.replayAt = ms;
  updateSliderLabel();
  el.liveBtn.disabled = false;
  el.mapDiv.dataset.mode = 'replay';
  el.mapDiv.dataset.replayAt = new Date(ms).toISOString();
  try {
    const u = await session.get(`/v1/console/units?at=${encodeURIComponent(new Date(ms).toISOString())}`);
    if (st.replayAt !== ms) return;
    takeUnits(u, true);
    refreshIncidentsLayer();
    if (st.tab === 'feed') renderFeed();
  } catch (e) {
    showError(e);
  }
}

export function goLive() {
  pause();
  st.replayAt = null;
  updateSliderLabel();
  el.liveBtn.disabled = true;
  el.mapDiv.dataset.mode = 'live';
  delete el.mapDiv.dataset.replayAt;
  st.unitsSeq = 0;
  updateSlider();
  pollUnits();
  refreshIncidentsLayer();
  if (st.tab === 'feed') renderFeed();
}

// ---------------------------------------------------------------- play, pause, speed

function showPlaying() {
  if (!el.playBtn) return;
  el.playBtn.setAttribute('aria-pressed', String(st.play.on));
  // The word goes on a phone (visually: it stays the button's name).
  clear(el.playBtn, h('span', { 'aria-hidden': 'true' }, st.play.on ? '❚❚' : '▶'), ' ', h('span.play-label', t(st.play.on ? 'replay.pause' : 'replay.play')));
  el.timebar?.setAttribute('data-playing', String(st.play.on));
}

export function play() {
  const b = replayBounds();
  if (!b || b[1] <= b[0]) return;
  // From the window's start when live or already at its end.
  if (st.replayAt == null || st.replayAt >= b[1] || st.replayAt < b[0]) st.replayAt = b[0];
  st.play.on = true;
  st.play.last = performance.now();
  showPlaying();
  step();
}

/** Signed out: nothing plays on, and the next principal starts live over the whole period. */
export function resetReplay() {
  pause();
  st.replayAt = null;
  st.replayWindow = { from: null, until: null };
}

export function pause() {
  st.play.on = false;
  clearTimeout(st.play.timer);
  st.play.timer = 0;
  showPlaying();
}

/** One step: the replay time moves on by the real time since the last step times the
 * speed, the units of that time are fetched and drawn, then the next step is set. */
async function step() {
  if (!st.play.on) return;
  const b = replayBounds();
  const now = performance.now();
  const next = Math.min(b[1], st.replayAt + (now - st.play.last) * st.play.speed);
  st.play.last = now;
  st.play.steps++;
  if (el.slider) el.slider.value = String(next);
  await replayTo(next);
  if (!st.play.on) return;
  if (next >= b[1]) {
    pause();
    return;
  }
  st.play.timer = setTimeout(step, STEP_MS);
}

// ---------------------------------------------------------------- the time bar

/** The time bar: slider, play/pause, speed, the window, and back to live. Made anew when
 * the language changes; the state lives in `st`. */
export function timebar() {
  el.slider = h('input#time-slider', { type: 'range', min: 0, max: 0, value: 0, step: 1000, 'aria-label': t('replay.sliderLabel'), disabled: true });
  el.slider.addEventListener('input', () => {
    replayTo(Number(el.slider.value));
    st.play.last = performance.now();
  });
  el.sliderLabel = h('span#slider-label');
  el.liveBtn = h('button#go-live', { type: 'button', disabled: st.replayAt == null, onclick: () => goLive() }, t('replay.backToLive'));
  el.playBtn = h('button#replay-play', { type: 'button', 'aria-pressed': 'false', disabled: true, onclick: () => (st.play.on ? pause() : play()) });
  const speed = h('select#replay-speed', { 'aria-label': t('replay.speed'), onchange: (e) => (st.play.speed = Number(e.currentTarget.value)) },
    SPEEDS.map((s) => h('option', { value: s, selected: s === st.play.speed }, t('replay.speedTimes', { n: num(s) }))));
  el.timebar = h('div.timebar#timebar',
    h('label', { for: 'time-slider' }, t('replay.label')), ' ', el.playBtn, speed, el.slider, el.sliderLabel, windowChooser(), el.liveBtn);
  showPlaying();
  updateSlider();
  updateSliderLabel();
  return el.timebar;
}

/** The window: From and Until in UTC (YYYY-MM-DD HH:MM), or the whole recorded period. */
function windowChooser() {
  const field = (id, label, value) => h('label', { for: id }, label, ' ',
    h(`input#${id}.utc-input`, { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', autocomplete: 'off', dir: 'ltr', value: value != null ? toInputUtc(value) : '', 'aria-describedby': 'replay-window-help' }));
  const status = h('p.muted#replay-window-status', { role: 'status' });
  const form = h('form.replay-window-form', { onsubmit: (e) => {
    e.preventDefault();
    const from = form.querySelector('#replay-from').value.trim();
    const until = form.querySelector('#replay-until').value.trim();
    const f = from ? fromInputUtc(from) : null;
    const u = until ? fromInputUtc(until) : null;
    if ((from && !f) || (until && !u)) return void (status.textContent = t('replay.badTime'));
    if (f && u && Date.parse(u) <= Date.parse(f)) return void (status.textContent = t('replay.untilAfterFrom'));
    setWindow(f ? Date.parse(f) : null, u ? Date.parse(u) : null);
    status.textContent = '';
    box.open = false;
  } },
  field('replay-from', t('replay.from'), st.replayWindow.from),
  field('replay-until', t('replay.until'), st.replayWindow.until),
  h('p.muted#replay-window-help', t('replay.windowHelp')),
  status,
  h('div.actions',
    h('button#replay-window-apply', { type: 'submit' }, t('replay.apply')),
    h('button.secondary#replay-window-whole', { type: 'button', onclick: () => {
      form.querySelector('#replay-from').value = '';
      form.querySelector('#replay-until').value = '';
      setWindow(null, null);
      box.open = false;
    } }, t('replay.whole'))));
  const box = h('details.replay-window#replay-window', h('summary', t('replay.window')), form);
  return box;
}

/** Sets the window (ms, or null for the period's own end); a replay time outside it moves
 * into it. */
export function setWindow(from, until) {
  st.replayWindow = { from, until };
  updateSlider();
  const b = replayBounds();
  if (b && st.replayAt != null && (st.replayAt < b[0] || st.replayAt > b[1])) replayTo(Math.min(b[1], Math.max(b[0], st.replayAt)));
}
