// Flotilla dashboard: vanilla JS over the public API. Lists then watches pods and nodes (SSE),
// keeps one element per node and per pod, and applies changes once per animation frame, so a
// burst of 20,000 pod events touches each changed element once. Text goes in via textContent only.
/* global document, window, location, requestAnimationFrame, EventSource */

const API = '/api/v1';
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Terminating'];

/** name -> Node object; key (ns/name) -> Pod object; node name -> pod keys on it. */
const nodes = new Map();
const pods = new Map();
const podsByNode = new Map();
/** name -> { card, title, badges, cpu, mem, podsEl }; key -> square; key -> pending row. */
const nodeEls = new Map();
const podEls = new Map();
const pendingEls = new Map();
const dirtyNodes = new Set();
const dirtyPods = new Set();
let frameRequested = false;

/**
 * What the grid draws: the live maps, or a past state fetched with `?at=`. Watch events always go
 * into the live maps, so going back to live is a redraw, not a reload.
 */
const live = { nodes, pods, podsByNode };
let view = live;
/** 'live' follows the watches; 'history' shows the fold of the log up to the slider's sequence. */
let mode = 'live';
/** The highest sequence seen in a list or a watch event: the slider's right end. */
let liveSeq = 0;

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'className') e.className = v;
    else if (k.startsWith('data-') || k === 'title' || k === 'href' || k === 'id') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
};

// --- quantities -----------------------------------------------------------------------------
const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
function quantity(q) {
  if (q === undefined || q === null) return 0;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m) return 0;
  const factor = BINARY[m[2]] ?? DECIMAL[m[2]] ?? 1;
  return Number(m[1]) * factor;
}
function formatCpu(cores) {
  if (cores === 0) return '0';
  return cores < 1 ? `${Math.round(cores * 1000)}m` : `${+cores.toFixed(2)}`;
}
function formatBytes(b) {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return `${+b.toFixed(1)}${units[i]}`;
}

// --- pods and nodes as the dashboard sees them -------------------------------------------------
const podKey = (pod) => `${pod.metadata.namespace}/${pod.metadata.name}`;
function podPhase(pod) {
  const phase = pod.status?.phase ?? 'Pending';
  // kubectl shows Terminating while a deletion is under way, unless the pod already ended.
  if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') return 'Terminating';
  return phase;
}
const podNode = (pod) => pod.spec?.nodeName || '';
/** What the scheduler counts: the larger of the app containers' sum and any one init container. */
function podRequests(pod) {
  let cpu = 0;
  let mem = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu += quantity(c.resources?.requests?.cpu);
    mem += quantity(c.resources?.requests?.memory);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    cpu = Math.max(cpu, quantity(c.resources?.requests?.cpu));
    mem = Math.max(mem, quantity(c.resources?.requests?.memory));
  }
  cpu += quantity(pod.spec?.overhead?.cpu);
  mem += quantity(pod.spec?.overhead?.memory);
  return { cpu, mem };
}
function nodeReady(node) {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return ready?.status === 'True';
}
function pendingReason(pod) {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'PodScheduled');
  return c?.message || c?.reason || 'waiting for the scheduler';
}

// --- applying watch events ------------------------------------------------------------------------
function setPod(pod) {
  const key = podKey(pod);
  const old = pods.get(key);
  if (old) detachFromNode(key, podNode(old));
  pods.set(key, pod);
  const node = podNode(pod);
  if (node) {
    let set = podsByNode.get(node);
    if (!set) podsByNode.set(node, (set = new Set()));
    set.add(key);
    dirtyNodes.add(node);
  }
  dirtyPods.add(key);
}
function deletePod(pod) {
  const key = podKey(pod);
  const old = pods.get(key);
  if (old) detachFromNode(key, podNode(old));
  pods.delete(key);
  dirtyPods.add(key);
}
function detachFromNode(key, node) {
  if (!node) return;
  podsByNode.get(node)?.delete(key);
  dirtyNodes.add(node);
}
function setNode(node) {
  nodes.set(node.metadata.name, node);
  dirtyNodes.add(node.metadata.name);
}
function deleteNode(node) {
  nodes.delete(node.metadata.name);
  dirtyNodes.add(node.metadata.name);
}

function schedule() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(flush);
}

function flush() {
  frameRequested = false;
  updateTimeline();
  if (route.kind === 'pod') renderPodPageLive();
  // In history the live maps keep changing but the DOM shows the past; going live redraws it all.
  if (mode === 'history') { dirtyNodes.clear(); dirtyPods.clear(); return; }
  paint();
}

/** Draws the dirty nodes and pods of the current view, then the counts. */
function paint() {
  // Nodes first, so a pod bound to a node that arrived in the same frame finds its card.
  for (const name of dirtyNodes) renderNode(name);
  dirtyNodes.clear();
  for (const key of dirtyPods) renderPod(key);
  dirtyPods.clear();
  $('pending-count').textContent = String(pendingEls.size);
  let running = 0;
  for (const pod of view.pods.values()) if (podPhase(pod) === 'Running') running++;
  $('summary').textContent = `${view.nodes.size} nodes · ${view.pods.size} pods · ${running} running · ${pendingEls.size} pending`;
}

function renderNode(name) {
  const node = view.nodes.get(name);
  let els = nodeEls.get(name);
  if (!node) {
    // A pod may still name a deleted node: its square stays until the pod changes.
    if (els && !(view.podsByNode.get(name)?.size)) { els.card.remove(); nodeEls.delete(name); }
    return;
  }
  if (!els) {
    const title = el('span', { text: name, className: 'name' });
    const badges = el('span', { className: 'badges' });
    const cpu = el('div', { className: 'bar', 'data-resource': 'cpu' }, el('i'), el('span'));
    const mem = el('div', { className: 'bar', 'data-resource': 'memory' }, el('i'), el('span'));
    const podsEl = el('div', { className: 'pods' });
    const card = el('div', { className: 'node', 'data-node': name }, el('h3', {}, title, badges), cpu, mem, podsEl);
    els = { card, badges, cpu, mem, podsEl };
    nodeEls.set(name, els);
    insertSorted($('nodes'), card, name, (c) => c.dataset.node);
    // Pods seen before their node had no card to go into.
    for (const key of view.podsByNode.get(name) ?? []) dirtyPods.add(key);
  }
  const ready = nodeReady(node);
  const cordoned = node.spec?.unschedulable === true;
  els.card.dataset.ready = String(ready);
  els.card.dataset.cordoned = String(cordoned);
  els.badges.textContent = [ready ? 'Ready' : 'NotReady', cordoned ? 'SchedulingDisabled' : ''].filter(Boolean).join(' · ');
  let cpu = 0;
  let mem = 0;
  for (const key of view.podsByNode.get(name) ?? []) {
    const pod = view.pods.get(key);
    // Ended pods free their share, as in the scheduler's accounting.
    if (!pod) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const r = podRequests(pod);
    cpu += r.cpu;
    mem += r.mem;
  }
  const alloc = node.status?.allocatable ?? {};
  setBar(els.cpu, 'cpu', cpu, quantity(alloc.cpu), formatCpu);
  setBar(els.mem, 'mem', mem, quantity(alloc.memory), formatBytes);
}

function setBar(bar, label, used, total, fmt) {
  const ratio = total > 0 ? Math.min(1, used / total) : 0;
  bar.firstChild.style.width = `${(ratio * 100).toFixed(1)}%`;
  bar.lastChild.textContent = `${label} ${fmt(used)} / ${fmt(total)}`;
  bar.dataset.full = String(total > 0 && used >= total);
  bar.title = `${label} requested ${fmt(used)} of ${fmt(total)} allocatable`;
}

function renderPod(key) {
  const pod = view.pods.get(key);
  let square = podEls.get(key);
  if (!pod) {
    square?.remove();
    podEls.delete(key);
    removePending(key);
    return;
  }
  const node = podNode(pod);
  const phase = podPhase(pod);
  if (node) {
    if (!square) {
      square = el('a', { className: 'pod', 'data-pod': key, href: podHref(key) });
      podEls.set(key, square);
    }
    square.dataset.phase = phase;
    square.title = `${key} (${phase})`;
    const card = nodeEls.get(node) ?? (renderNode(node), nodeEls.get(node));
    if (card && square.parentNode !== card.podsEl) card.podsEl.append(square);
    removePending(key);
  } else {
    square?.remove();
    podEls.delete(key);
    if (phase === 'Pending' || phase === 'Terminating') renderPending(key, pod, phase);
    else removePending(key);
  }
}

function renderPending(key, pod, phase) {
  let row = pendingEls.get(key);
  if (!row) {
    row = el('li', { 'data-pending-pod': key }, el('a', { href: podHref(key), text: key }), el('span', { className: 'reason' }));
    pendingEls.set(key, row);
    insertSorted($('pending-pods'), row, key, (r) => r.dataset.pendingPod);
  }
  row.dataset.phase = phase;
  row.lastChild.textContent = pendingReason(pod);
}
function removePending(key) {
  const row = pendingEls.get(key);
  if (row) { row.remove(); pendingEls.delete(key); }
}

/** Keeps cards in name order without re-sorting the container (binary search over children). */
function insertSorted(parent, child, name, nameOf) {
  const kids = parent.children;
  let lo = 0;
  let hi = kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (nameOf(kids[mid]).localeCompare(name, undefined, { numeric: true }) < 0) lo = mid + 1;
    else hi = mid;
  }
  parent.insertBefore(child, kids[lo] ?? null);
}

// --- list, then watch ----------------------------------------------------------------------------
async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message || `${res.status} ${res.statusText}`);
  return body;
}

const streams = new Set();
function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

/**
 * Lists then watches from the list's resourceVersion. On a broken stream it starts over with a
 * fresh list (EventSource's own retry would replay from the first version, or hit 410 Gone).
 */
async function sync(resource, apply, remove, clear) {
  for (;;) {
    try {
      const list = await getJson(`${API}/${resource}`);
      seenSeq(list.metadata.resourceVersion);
      clear();
      for (const item of list.items) apply(item);
      schedule();
      await watch(`${API}/${resource}?watch=true&resourceVersion=${encodeURIComponent(list.metadata.resourceVersion ?? '0')}`, apply, remove);
    } catch (error) {
      console.warn(`${resource}: ${error.message}`);
    }
    setConn('error', 'reconnecting');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function watch(url, apply, remove) {
  return new Promise((resolve) => {
    const es = new EventSource(url);
    streams.add(es);
    es.onopen = () => { if ([...streams].every((s) => s.readyState === EventSource.OPEN)) setConn('live', 'live'); };
    es.onmessage = (msg) => {
      if (!msg.data) return;
      const event = JSON.parse(msg.data);
      seenSeq(event.object?.metadata?.resourceVersion);
      if (event.type === 'DELETED') remove(event.object);
      else if (event.type === 'ADDED' || event.type === 'MODIFIED') apply(event.object);
      schedule();
    };
    es.onerror = () => {
      es.close();
      streams.delete(es);
      resolve();
    };
  });
}

function clearPods() {
  for (const key of pods.keys()) dirtyPods.add(key);
  for (const node of podsByNode.keys()) dirtyNodes.add(node);
  pods.clear();
  podsByNode.clear();
}
function clearNodes() {
  for (const name of nodes.keys()) dirtyNodes.add(name);
  nodes.clear();
}

// --- the timeline: replaying the cluster from the log ---------------------------------------------
function seenSeq(rv) {
  const n = Number(rv);
  if (Number.isInteger(n) && n > liveSeq) liveSeq = n;
}

const HISTORY_DEBOUNCE_MS = 150;
let historyTimer;
/** Bumped per request: an answer that is not the latest is dropped (latest request wins). */
let historyToken = 0;

function updateTimeline() {
  const range = $('timeline-range');
  range.max = String(Math.max(1, liveSeq));
  if (mode === 'live') {
    range.value = range.max;
    $('timeline-at').textContent = `live · sequence ${liveSeq}`;
  }
}

function setMode(next) {
  mode = next;
  $('timeline').dataset.mode = next;
  $('timeline-live').disabled = next === 'live';
}

/** Clears the grid and the pending panel and draws every object of the current view. */
function redrawAll() {
  for (const els of nodeEls.values()) els.card.remove();
  for (const square of podEls.values()) square.remove();
  for (const row of pendingEls.values()) row.remove();
  nodeEls.clear();
  podEls.clear();
  pendingEls.clear();
  dirtyNodes.clear();
  dirtyPods.clear();
  for (const name of view.nodes.keys()) dirtyNodes.add(name);
  for (const name of view.podsByNode.keys()) dirtyNodes.add(name);
  for (const key of view.pods.keys()) dirtyPods.add(key);
  paint();
}

function goLive() {
  clearTimeout(historyTimer);
  historyToken++;
  setMode('live');
  view = live;
  const at = $('timeline-at');
  delete at.dataset.atSeq;
  redrawAll();
  updateTimeline();
}

function onSlide() {
  const seq = Number($('timeline-range').value);
  setMode('history');
  $('timeline-at').textContent = `at sequence ${seq} (loading…)`;
  clearTimeout(historyTimer);
  historyTimer = setTimeout(() => void loadHistory(seq), HISTORY_DEBOUNCE_MS);
}

/** Fetches both lists as of `seq` and draws them with the live rendering code. */
async function loadHistory(seq) {
  const token = ++historyToken;
  try {
    const [nodeList, podList] = await Promise.all([getJson(`${API}/nodes?at=${seq}`), getJson(`${API}/pods?at=${seq}`)]);
    if (token !== historyToken || mode !== 'history') return;
    const past = { nodes: new Map(), pods: new Map(), podsByNode: new Map() };
    for (const node of nodeList.items) past.nodes.set(node.metadata.name, node);
    for (const pod of podList.items) {
      const key = podKey(pod);
      past.pods.set(key, pod);
      const node = podNode(pod);
      if (!node) continue;
      let set = past.podsByNode.get(node);
      if (!set) past.podsByNode.set(node, (set = new Set()));
      set.add(key);
    }
    view = past;
    redrawAll();
    const at = $('timeline-at');
    at.dataset.atSeq = String(seq);
    const time = latestTime(nodeList.items, podList.items);
    at.textContent = `at sequence ${seq}${time ? ` (≈ ${time})` : ''}`;
  } catch (error) {
    if (token !== historyToken) return;
    $('timeline-at').textContent = `at sequence ${seq}: ${error.message}`;
  }
}

/**
 * The list answers carry no clock, so the time shown is the newest timestamp inside the past
 * objects: a lower bound of when that sequence was written.
 */
function latestTime(nodeItems, podItems) {
  let best = '';
  const see = (t) => { if (typeof t === 'string' && t > best) best = t; };
  for (const o of [...nodeItems, ...podItems]) {
    see(o.metadata?.creationTimestamp);
    see(o.metadata?.deletionTimestamp);
    for (const c of o.status?.conditions ?? []) { see(c.lastTransitionTime); see(c.lastHeartbeatTime); }
  }
  return best;
}

const RECENT_EVENTS = 8;
async function loadRecentEvents() {
  if (route.kind !== 'cluster') return;
  try {
    const list = await getJson(`${API}/events`);
    const when = (e) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
    const recent = [...list.items].sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0)).slice(0, RECENT_EVENTS);
    $('timeline-events').replaceChildren(...recent.map((e) => {
      const obj = e.involvedObject ?? {};
      const name = obj.namespace ? `${obj.namespace}/${obj.name}` : obj.name ?? '';
      return el('li', { 'data-event-reason': e.reason ?? '', 'data-event-type': e.type ?? '' },
        el('time', { text: when(e).replace('T', ' ').replace(/\.\d+Z$|Z$/, '') }),
        el('b', { text: e.reason ?? '' }),
        el('span', { className: 'object', text: `${(obj.kind ?? '').toLowerCase()}/${name}` }),
        el('span', { className: 'message', text: e.message ?? '' }));
    }));
  } catch (error) {
    console.warn(`events: ${error.message}`);
  }
}

// --- the pod page ---------------------------------------------------------------------------------
let route = { kind: 'cluster' };
let podPageTimer;
/** The pod object the page last drew: the watch replaces it on change, so identity means unchanged. */
let podPageDrawn;
const podHref = (key) => `#/pod/${key.split('/').map(encodeURIComponent).join('/')}`;

function parseRoute() {
  const m = /^#\/pod\/([^/]+)\/([^/]+)$/.exec(location.hash);
  return m ? { kind: 'pod', ns: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]) } : { kind: 'cluster' };
}

function onRoute() {
  route = parseRoute();
  podPageDrawn = undefined;
  clearInterval(podPageTimer);
  const page = $('pod-page');
  $('cluster-view').hidden = route.kind === 'pod';
  page.hidden = route.kind !== 'pod';
  if (route.kind !== 'pod') { page.replaceChildren(); return; }
  const base = `${API}/namespaces/${encodeURIComponent(route.ns)}/pods/${encodeURIComponent(route.name)}`;
  const containers = el('section', { id: 'pod-containers' });
  const events = el('section', { id: 'pod-events' }, el('h3', { text: 'Events' }));
  const scheduling = el('section', { id: 'pod-scheduling' }, el('h3', { text: 'Scheduling' }));
  const logs = el('section', { id: 'pod-logs' });
  page.replaceChildren(
    el('p', {}, el('a', { href: '#/', text: '← cluster' })),
    el('h2', { id: 'pod-title', text: `${route.ns}/${route.name}` }),
    el('p', { id: 'pod-summary' }),
    containers, logs, events, scheduling,
  );
  renderPodPageLive();
  const refresh = () => {
    loadEvents(route, events);
    loadScheduling(base, scheduling);
  };
  refresh();
  // Events and the scheduling record have no watch here; a slow poll keeps them current.
  podPageTimer = setInterval(refresh, 3000);
}

/** The parts of the pod page that come from the pod object the watch keeps current. */
function renderPodPageLive() {
  const page = $('pod-page');
  const summary = $('pod-summary');
  const section = $('pod-containers');
  if (!summary || !section) return;
  const pod = pods.get(`${route.ns}/${route.name}`);
  if (pod === podPageDrawn && summary.textContent) return;
  podPageDrawn = pod;
  if (!pod) {
    summary.textContent = 'This pod does not exist (or not yet).';
    page.dataset.phase = '';
    return;
  }
  const phase = podPhase(pod);
  page.dataset.phase = phase;
  summary.textContent = [`phase ${phase}`, pod.spec.nodeName ? `node ${pod.spec.nodeName}` : 'not scheduled', pod.status?.podIP ? `IP ${pod.status.podIP}` : ''].filter(Boolean).join(' · ');
  const statuses = new Map([...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [s.name, s]));
  const rows = [...(pod.spec.initContainers ?? []).map((c) => [c, 'init']), ...pod.spec.containers.map((c) => [c, 'app'])].map(([c, kind]) => {
    const s = statuses.get(c.name);
    const { state, detail } = containerState(s?.state);
    const logButton = el('button', { text: 'Logs', type: 'button' });
    logButton.addEventListener('click', () => loadLogs(c.name));
    return el('tr', { 'data-container': c.name, 'data-state': state },
      el('td', { text: c.name }), el('td', { text: kind }), el('td', { text: state }), el('td', { text: detail }),
      el('td', { text: s ? String(s.ready) : '' }), el('td', { text: s ? String(s.restartCount) : '' }), el('td', {}, logButton));
  });
  section.replaceChildren(
    el('h3', { text: 'Containers' }),
    el('table', {}, el('thead', {}, el('tr', {}, ...['name', 'kind', 'state', 'detail', 'ready', 'restarts', ''].map((h) => el('th', { text: h })))), el('tbody', {}, ...rows)),
  );
}

function containerState(state) {
  if (!state) return { state: 'Unknown', detail: '' };
  if (state.running) return { state: 'Running', detail: state.running.startedAt ? `since ${state.running.startedAt}` : '' };
  if (state.terminated) return { state: 'Terminated', detail: [state.terminated.reason, `exit ${state.terminated.exitCode}`, state.terminated.message].filter(Boolean).join(' · ') };
  if (state.waiting) return { state: 'Waiting', detail: [state.waiting.reason, state.waiting.message].filter(Boolean).join(' · ') };
  return { state: 'Unknown', detail: '' };
}

async function loadEvents(r, section) {
  try {
    const selector = encodeURIComponent(`involvedObject.name=${r.name}`);
    const list = await getJson(`${API}/namespaces/${encodeURIComponent(r.ns)}/events?fieldSelector=${selector}`);
    if (route !== r) return;
    const rows = list.items.map((e) => el('tr', { 'data-event-reason': e.reason, 'data-event-type': e.type },
      el('td', { text: e.type }), el('td', { text: e.reason }), el('td', { text: e.lastTimestamp ?? e.firstTimestamp ?? '' }),
      el('td', { text: e.source?.component ?? '' }), el('td', { text: e.message })));
    section.replaceChildren(el('h3', { text: 'Events' }), rows.length
      ? el('table', {}, el('thead', {}, el('tr', {}, ...['type', 'reason', 'time', 'from', 'message'].map((h) => el('th', { text: h })))), el('tbody', {}, ...rows))
      : el('p', { text: 'No events.' }));
  } catch (error) {
    section.replaceChildren(el('h3', { text: 'Events' }), el('p', { className: 'error', text: error.message }));
  }
}

async function loadScheduling(base, section) {
  const r = route;
  try {
    const s = await getJson(`${base}/scheduling`);
    if (route !== r) return;
    const last = s.lastScheduling;
    const parts = [el('h3', { text: 'Scheduling' }),
      el('p', { text: `${s.schedulerName} · ${s.attempts} attempt(s)${s.nodeName ? ` · bound to ${s.nodeName}` : ''}${s.nominatedNodeName ? ` · nominated ${s.nominatedNodeName}` : ''}` })];
    const verdicts = last?.verdicts ?? [];
    if (verdicts.length) {
      const plugins = [...new Set(verdicts.flatMap((v) => Object.keys(v.plugins ?? v.scores ?? {})))].sort();
      const head = el('tr', {}, ...['node', 'verdict', 'score', ...plugins].map((h) => el('th', { text: h })));
      const rows = verdicts.map((v) => el('tr', { 'data-verdict-node': v.node },
        el('td', { text: v.node }),
        el('td', { text: v.rejectedBy ? `${v.rejectedBy}: ${(v.reasons ?? []).join(', ')}` : 'feasible' }),
        el('td', { text: v.score !== undefined ? String(v.score) : '' }),
        ...plugins.map((p) => {
          const ps = v.plugins?.[p];
          const text = ps ? `${ps.weighted} (raw ${ps.raw}, norm ${ps.normalized})` : v.scores?.[p] !== undefined ? String(v.scores[p]) : '';
          return el('td', { text });
        })));
      parts.push(el('table', { id: 'scheduling-table' }, el('thead', {}, head), el('tbody', {}, ...rows)));
    } else {
      parts.push(el('p', { text: 'No scheduling attempt recorded.' }));
    }
    section.replaceChildren(...parts);
  } catch (error) {
    section.replaceChildren(el('h3', { text: 'Scheduling' }), el('p', { className: 'error', text: error.message }));
  }
}

async function loadLogs(container) {
  const r = route;
  const section = $('pod-logs');
  const pre = el('pre', { className: 'log', id: 'pod-log', 'data-container': container, text: 'loading…' });
  section.replaceChildren(el('h3', { text: `Logs: ${container}` }), pre);
  const url = `${API}/namespaces/${encodeURIComponent(r.ns)}/pods/${encodeURIComponent(r.name)}/log?container=${encodeURIComponent(container)}&tailLines=200`;
  try {
    const res = await fetch(url);
    const text = await res.text();
    if (route !== r) return;
    if (!res.ok) {
      let message = text;
      try { message = JSON.parse(text).message ?? text; } catch { /* plain text */ }
      pre.textContent = `error: ${message}`;
      pre.classList.add('error');
    } else {
      pre.textContent = text || '(no output)';
    }
  } catch (error) {
    pre.textContent = `error: ${error.message}`;
  }
}

// --- start ---------------------------------------------------------------------------------
window.addEventListener('hashchange', onRoute);
onRoute();
$('timeline-range').addEventListener('input', onSlide);
$('timeline-live').addEventListener('click', goLive);
setMode('live');
void loadRecentEvents();
// Kubernetes Events have no watch in the dashboard; a slow poll keeps the list near the slider fresh.
setInterval(() => void loadRecentEvents(), 5000);
void sync('nodes', setNode, deleteNode, clearNodes);
void sync('pods', setPod, deletePod, clearPods);
// For tests and the console: the dashboard's own view of the cluster.
window.flotilla = { nodes, pods, phases: PHASES };
