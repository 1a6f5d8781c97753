// The time slider: the map (and the feed) as they were at a chosen time, and back to live.
import { clear, time } from './util.js';
import { session, st, el, showError } from './state.js';
import { t } from './i18n.js';
import { takeUnits, pollUnits } from './units.js';
import { renderFeed } from './feed.js';
import { refreshIncidentsLayer } from './overlays.js';

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
  st.replayAt = null;
  updateSliderLabel();
  el.liveBtn.disabled = true;
  el.mapDiv.dataset.mode = 'live';
  st.unitsSeq = 0;
  pollUnits();
  refreshIncidentsLayer();
  if (st.tab === 'feed') renderFeed();
}
