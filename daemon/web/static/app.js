// isudt's live page: both latent planes, the sounding voices as dots with trails, meters, status, and play.
// No build step, no libraries: one WebSocket (/ws) of JSON frames (see daemon/web/live.py).
"use strict";

const TRAIL = 16;                 // positions kept per voice per plane
const SEND_MS = 16;               // a drag sends at most this often (latest position wins)
const COLOURS = ["#ff5d5d", "#ffb347", "#fff170", "#8cff6b", "#5dffd8", "#5db8ff", "#a98bff", "#ff7be5"];

const S = {                        // everything the page knows; window.isudt for tests and the curious
  hello: null, connected: false, frames: 0, voices: [], status: null, heard: null,
  planes: { image: [], sound: [] }, slice: { image: 0, sound: 0 },
  trails: { image: [], sound: [] }, dots: { image: {}, sound: {} },
  selected: 0, drag: null, frameMs: [], errors: 0, reconnects: 0, lastError: "",
  switching: null, bundles: 0,      // the bundle asked for (until its hello comes), bundles seen
};
window.isudt = S;

const $ = (id) => document.getElementById(id);
const canvases = { image: $("image-canvas"), sound: $("sound-canvas") };
let ws = null;
let retryMs = 250;
let dirty = true;

function colour(n) { return COLOURS[n % COLOURS.length]; }

// --- latent <-> canvas ------------------------------------------------------------------------
function box(plane) {
  const h = S.hello;
  return plane === "image" ? h.image_box : h.sound_box;
}
function toCanvas(plane, z) {
  const c = canvases[plane], [lo, hi] = box(plane);
  const w = c.clientWidth || c.width, h = c.clientHeight || c.height;
  return [(z[0] - lo[0]) / (hi[0] - lo[0]) * w, (1 - (z[1] - lo[1]) / (hi[1] - lo[1])) * h];
}
function toLatent(plane, x, y) {
  const c = canvases[plane], [lo, hi] = box(plane);
  const w = c.clientWidth, h = c.clientHeight;
  const z = lo.map((l, i) => (l + hi[i]) / 2);
  z[0] = lo[0] + Math.min(Math.max(x / w, 0), 1) * (hi[0] - lo[0]);
  z[1] = lo[1] + (1 - Math.min(Math.max(y / h, 0), 1)) * (hi[1] - lo[1]);
  const info = S.hello.planes && S.hello.planes[plane];
  if (z.length >= 3 && info && info.slices.length) z[2] = info.slices[S.slice[plane]];
  return z;
}

// --- the connection -----------------------------------------------------------------------------
function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
  ws = new WebSocket(url);
  ws.onopen = () => { S.connected = true; retryMs = 250; conn(); };
  ws.onmessage = (ev) => { try { onFrame(JSON.parse(ev.data)); } catch (e) { showError("bad frame: " + e.message); } };
  ws.onclose = () => {
    S.connected = false; conn(); ws = null;
    S.reconnects += 1;
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 2000);
  };
  ws.onerror = () => {};        // onclose follows and reconnects
}
function conn() {
  const el = $("conn");
  el.textContent = S.connected ? "live" : "reconnecting…";
  el.className = "conn " + (S.connected ? "on" : "off");
}
function send(address, args) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ address: address, args: args || [] }));
}

// --- frames -------------------------------------------------------------------------------------
function onFrame(f) {
  if (f.type === "hello") onHello(f);
  else if (f.type === "state") onState(f);
  else if (f.type === "heard") onHeard(f);
  else if (f.type === "error") {
    showError(f.address + ": " + f.reason);
    if (f.address === "/bundle" && S.switching) { S.switching = null; bundleSelect(S.hello); }
  }
}

function onHello(h) {
  const planesChanged = !S.hello || S.hello.planes_version !== h.planes_version;
  const bundleChanged = !S.hello || S.hello.model_id !== h.model_id || S.hello.bundle !== h.bundle;
  S.hello = h;
  if (bundleChanged) {               // another bundle: other latents, other planes; the voices faded out
    S.bundles += 1;
    S.trails = { image: [], sound: [] }; S.dots = { image: {}, sound: {} };
    S.slice = { image: -1, sound: -1 };
    S.planes = { image: [], sound: [] };
  }
  if (S.switching === h.bundle) S.switching = null;
  $("bundle").textContent = h.bundle + " · " + h.model_id;
  bundleSelect(h);
  if (!S.voices.length || S.voices.length !== h.voices) buildVoices(h.voices);
  for (const plane of ["image", "sound"]) {
    const dim = plane === "image" ? h.image_latent : h.sound_latent;
    const [lo, hi] = box(plane);
    $(plane + "-x").textContent = `z0 ${lo[0].toFixed(2)} … ${hi[0].toFixed(2)} →`;
    $(plane + "-y").textContent = `↑ z1 ${lo[1].toFixed(2)} … ${hi[1].toFixed(2)}`;
    $(plane + "-note").textContent = dim > 2 ? `(${dim}-D: a slice through z0, z1)` : "";
    const info = h.planes && h.planes[plane];
    const sliceBox = $(plane + "-slice-box");
    sliceBox.hidden = !(info && info.slices.length);
    if (info && info.slices.length) {
      const input = $(plane + "-slice");
      input.max = String(info.slices.length - 1);
      if (S.slice[plane] < 0 || S.slice[plane] >= info.slices.length) S.slice[plane] = Math.floor(info.slices.length / 2);
      input.value = String(S.slice[plane]);
      $(plane + "-slice-value").textContent = info.slices[S.slice[plane]].toFixed(2);
    } else if (info) S.slice[plane] = 0;     // a 2-D latent: its one plane
    $(plane + "-waiting").hidden = !!info;
    $(plane + "-waiting").textContent = info && plane === "image" && !info.available ?
      "this bundle has no image decoder" : "computing the plane…";
    if (planesChanged) {
      if (info) loadPlane(plane, info.count, h.planes_version);
      else S.planes[plane] = [];
    }
  }
  legend(h);
  dirty = true;
}

function bundleSelect(h) {
  const sel = $("bundle-select");
  if (!h) return;
  const names = h.bundles && h.bundles.length ? h.bundles : [h.bundle];
  if (sel.options.length !== names.length || names.some((n, i) => sel.options[i].value !== n)) {
    sel.innerHTML = "";
    for (const n of names) {
      const o = document.createElement("option"); o.value = n; o.textContent = n; sel.append(o);
    }
  }
  sel.disabled = !h.bundle_switch || !!S.switching;
  sel.value = S.switching || h.bundle;
  $("bundle-note").textContent = S.switching ? `switching to ${S.switching}…` :
    (h.bundle_switch ? "" : "(switching: not available)");
}

function loadPlane(plane, count, version) {
  const imgs = [];
  for (let k = 0; k < count; k++) {
    const img = new Image();
    img.onload = () => { dirty = true; };
    img.src = `/plane/${plane}/${version}/${k}.png`;
    imgs.push(img);
  }
  S.planes[plane] = imgs;
}

function legend(h) {
  const info = h.planes && h.planes.sound;
  const el = $("legend");
  if (!info) { el.textContent = ""; return; }
  const L = info.legend, span = L.hue_span || 0.8;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((u) => `hsl(${Math.round(u * span * 360)},85%,50%) ${u * 100}%`);
  el.innerHTML = "";
  const t1 = document.createElement("div");
  t1.textContent = `hue: ${L.hue.name} ${L.hue.min} … ${L.hue.max} ${L.hue.unit}`;
  const bar = document.createElement("div"); bar.className = "bar";
  bar.style.background = `linear-gradient(90deg, ${stops.join(", ")})`;
  const t2 = document.createElement("div");
  t2.textContent = `brightness: ${L.brightness.name} ${L.brightness.min} … ${L.brightness.max} ${L.brightness.unit}` +
    ` (synth: ${L.synth})`;
  const bar2 = document.createElement("div"); bar2.className = "bar";
  bar2.style.background = "linear-gradient(90deg, #111, #eee)";
  el.append(t1, bar, t2, bar2);
}

function onState(f) {
  const t0 = performance.now();
  S.frames += 1;
  S.voices = f.voices;
  S.gain_db = f.gain_db; S.muted = f.muted; S.listening = f.listening;
  S.master_db = f.master_db; S.limiter_db = f.limiter_db;
  if (f.status) { S.status = f.status; statusLine(); }
  if (S.hello) {
    for (const plane of ["image", "sound"]) {
      const k = plane === "image" ? 3 : 4;
      f.voices.forEach((v, n) => {
        const z = v[k];
        const tr = S.trails[plane][n] || (S.trails[plane][n] = []);
        if (v[0] && z && z[0] !== null && z[1] !== null) {
          const last = tr[tr.length - 1];
          if (!last || last[0] !== z[0] || last[1] !== z[1] || (z.length > 2 && last[2] !== z[2])) {
            tr.push(z); if (tr.length > TRAIL) tr.shift();
          }
          S.dots[plane][n] = toCanvas(plane, z);
        } else {
          delete S.dots[plane][n];
          tr.length = 0;
        }
      });
    }
  }
  controls(f);
  meters(f);
  S.stateMs = performance.now() - t0;
  dirty = true;
}

function onHeard(f) {
  S.heard = f;
  const c = $("heard"), ctx = c.getContext("2d");
  const raw = atob(f.pic), img = ctx.createImageData(f.w, f.h);
  for (let i = 0; i < f.w * f.h; i++) {
    const g = raw.charCodeAt(i);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g; img.data[4 * i + 3] = 255;
  }
  c.width = f.w; c.height = f.h;
  ctx.putImageData(img, 0, 0);
  const where = f.x === null || f.y === null ? "" : `square at (${f.x}, ${f.y}); `;   // no squares in other worlds
  $("heard-text").textContent = `${where}image latent (${f.zi.map((v) => v.toFixed(2)).join(", ")})`;
  dirty = true;
}

function statusLine() {
  const s = S.status;
  $("status").textContent = `underruns ${s.underruns} · callback p99 ${s.callback_us_p99} µs (block ${s.block_us} µs)` +
    ` · ${s.audio_state} · ${s.provider} · model ${s.model_id} · bundle ${s.bundle} · pages ${s.pages}`;
}

// --- controls and meters --------------------------------------------------------------------------
function buildVoices(n) {
  const box = $("voices"); box.innerHTML = "";
  for (let i = 0; i < n; i++) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = String(i); b.dataset.voice = String(i);
    b.style.borderColor = colour(i);
    b.onclick = () => { S.selected = i; controls(null); };
    box.append(b);
  }
  const m = $("meters"); m.innerHTML = "";
  const row = (label, id) => {
    const l = document.createElement("span"); l.textContent = label;
    const bar = document.createElement("div"); bar.className = "meter";
    const fill = document.createElement("div"); fill.id = id; bar.append(fill);
    const d = document.createElement("span"); d.className = "db"; d.id = id + "-db";
    m.append(l, bar, d);
  };
  row("master", "meter-master");
  for (let i = 0; i < n; i++) row("voice " + i, "meter-" + i);
}

function controls(f) {
  document.querySelectorAll("#voices button").forEach((b) => {
    const i = Number(b.dataset.voice);
    const active = S.voices[i] && S.voices[i][0];
    b.classList.toggle("sel", i === S.selected);
    b.classList.toggle("active", !!active);
    b.style.background = active ? colour(i) : "";
  });
  if (!f) return;
  const gain = $("gain");
  if (document.activeElement !== gain) gain.value = String(f.gain_db);
  $("gain-value").textContent = `${Number(gain.value).toFixed(1)} dB`;
  $("mute").checked = !!f.muted;
  $("listen").checked = !!f.listening;
}

function meterWidth(db) { return Math.max(0, Math.min(1, (db + 60) / 60)) * 100 + "%"; }
function meters(f) {
  const set = (id, db) => {
    const el = $(id); if (!el) return;
    el.style.width = meterWidth(db);
    $(id + "-db").textContent = db <= -120 ? "—" : db.toFixed(1);
  };
  set("meter-master", f.master_db);
  f.voices.forEach((v, n) => set("meter-" + n, v[5]));
}

function showError(text) {
  S.errors += 1; S.lastError = text;
  const el = $("errors"); el.textContent = text;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { el.textContent = ""; }, 4000);
}

// --- drawing --------------------------------------------------------------------------------------
function fit(c) {
  const r = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * r) || c.height !== Math.round(h * r)) { c.width = Math.round(w * r); c.height = Math.round(h * r); }
  const ctx = c.getContext("2d");
  ctx.setTransform(r, 0, 0, r, 0, 0);
  return [ctx, w, h];
}

function drawPlane(plane) {
  const c = canvases[plane];
  const [ctx, w, h] = fit(c);
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, w, h);
  const imgs = S.planes[plane], img = imgs[Math.max(0, Math.min(S.slice[plane], imgs.length - 1))];
  if (img && img.complete && img.naturalWidth) {
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(img, 0, 0, w, h);
  }
  if (!S.hello) return;
  const info = S.hello.planes && S.hello.planes[plane];
  const sliceZ = info && info.slices.length ? info.slices[S.slice[plane]] : null;
  const [lo, hi] = box(plane);
  const sliceSpan = lo.length > 2 ? (hi[2] - lo[2]) : 1;
  // the way back's point (image plane)
  if (plane === "image" && S.heard && S.heard.zi) {
    const [x, y] = toCanvas(plane, S.heard.zi);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.arc(x, y, 11, 0, 2 * Math.PI); ctx.stroke(); ctx.setLineDash([]);
  }
  const k = plane === "image" ? 3 : 4;
  S.voices.forEach((v, n) => {
    const tr = S.trails[plane][n];
    if (!v[0] || !tr || !tr.length) return;
    const z = v[k];
    const off = sliceZ !== null && z && z.length > 2 ? Math.abs(z[2] - sliceZ) / sliceSpan : 0;
    ctx.globalAlpha = Math.max(0.25, 1 - 2 * off);
    ctx.strokeStyle = colour(n); ctx.lineWidth = 2;
    ctx.beginPath();
    tr.forEach((p, i) => { const [x, y] = toCanvas(plane, p); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
    const [x, y] = toCanvas(plane, tr[tr.length - 1]);
    ctx.fillStyle = colour(n); ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(x, y, 7, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    ctx.fillStyle = "#000"; ctx.font = "bold 9px system-ui"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(String(n), x, y + 0.5);
    ctx.globalAlpha = 1;
  });
}

function draw() {
  requestAnimationFrame(draw);
  if (!dirty) return;
  dirty = false;
  const t0 = performance.now();
  drawPlane("image");
  drawPlane("sound");
  const ms = performance.now() - t0;
  S.frameMs.push(ms); if (S.frameMs.length > 600) S.frameMs.shift();
}

// --- playing from the page ---------------------------------------------------------------------
function pointer(plane) {
  const c = canvases[plane];
  let pending = null, timer = null;
  const flush = () => {
    timer = null;
    if (pending) { send(pending[0], pending[1]); pending = null; }
  };
  const move = (n, ev) => {
    const r = c.getBoundingClientRect();
    const z = toLatent(plane, ev.clientX - r.left, ev.clientY - r.top);
    pending = [`/voice/${n}/latent/${plane}`, z];
    if (!timer) timer = setTimeout(flush, SEND_MS);
  };
  c.addEventListener("pointerdown", (ev) => {
    if (!S.hello) return;
    const r = c.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
    let best = null, bestD = 14;
    for (const [n, p] of Object.entries(S.dots[plane])) {
      const d = Math.hypot(p[0] - x, p[1] - y);
      if (d < bestD) { best = Number(n); bestD = d; }
    }
    const n = best !== null ? best : S.selected;
    S.selected = n; controls(null);
    S.drag = { plane: plane, voice: n };
    c.setPointerCapture(ev.pointerId);
    move(n, ev);
    ev.preventDefault();
  });
  c.addEventListener("pointermove", (ev) => { if (S.drag && S.drag.plane === plane) move(S.drag.voice, ev); });
  const end = (ev) => {
    if (S.drag && S.drag.plane === plane) { S.drag = null; flush(); }
    if (c.hasPointerCapture(ev.pointerId)) c.releasePointerCapture(ev.pointerId);
  };
  c.addEventListener("pointerup", end);
  c.addEventListener("pointercancel", end);
}

function wire() {
  pointer("image"); pointer("sound");
  for (const plane of ["image", "sound"]) {
    $(plane + "-slice").addEventListener("input", (ev) => {
      S.slice[plane] = Number(ev.target.value);
      const info = S.hello && S.hello.planes && S.hello.planes[plane];
      if (info) $(plane + "-slice-value").textContent = info.slices[S.slice[plane]].toFixed(2);
      dirty = true;
    });
  }
  let gainTimer = null;
  $("gain").addEventListener("input", (ev) => {
    $("gain-value").textContent = `${Number(ev.target.value).toFixed(1)} dB`;
    clearTimeout(gainTimer);
    gainTimer = setTimeout(() => send("/gain", [Number(ev.target.value)]), 30);
  });
  $("mute").addEventListener("change", (ev) => send("/mute", [ev.target.checked ? 1 : 0]));
  $("listen").addEventListener("change", (ev) => send("/image/listen", [ev.target.checked ? 1 : 0]));
  $("panic").addEventListener("click", () => send("/off", []));
  $("bundle-select").addEventListener("change", (ev) => {
    const name = ev.target.value;
    if (!S.hello || name === S.hello.bundle) return;
    S.switching = name;
    send("/bundle", [name]);
    bundleSelect(S.hello);
  });
  $("voice-off").addEventListener("click", () => send(`/voice/${S.selected}/off`, []));
  window.addEventListener("resize", () => { dirty = true; });
}

wire();
connect();
requestAnimationFrame(draw);
