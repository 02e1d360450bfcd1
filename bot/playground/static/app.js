// The playground page: renders what the bot posted (Block Kit) as Slack would, and sends what
// people do to the Slack stand-in, which delivers it to the bot as signed Slack requests.
"use strict";

const EMOJI = {
  warning: "⚠️", white_check_mark: "✅", x: "❌", no_entry_sign: "🚫", no_entry: "⛔",
  hourglass: "⌛", inbox_tray: "📥", arrow_forward: "▶️", mega: "📣",
  arrows_counterclockwise: "🔄", white_small_square: "▫️", double_vertical_bar: "⏸️",
  rotating_light: "🚨", question: "❓", mag: "🔍", calendar: "📆",
};
let people = [];
let user = localStorage.getItem("sdrs-playground-user") || "U0ALICE001";
let channel = localStorage.getItem("sdrs-playground-channel") || "C0DROPS001";
let channels = [];  // every channel of the workspace, with its bound accounts
let lastMessages = "";
let lastView = "";
const $ = (id) => document.getElementById(id);

function esc(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
function unslack(text) {  // Slack's own escapes in message text
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
function nameOf(id) {
  const person = people.find((p) => p.id === id);
  return person ? person.name : id === "U0BOT00001" ? "sdrs-bot" : id;
}

// Slack mrkdwn -> HTML: <@U>, <#C>, <!date^..|fallback>, <url|label>, ```pre```, `code`,
// *bold*, _italic_, ~strike~, :emoji:, newlines.
function mrkdwn(raw) {
  const tokens = [];
  const keep = (html) => { tokens.push(html); return `\u0000${tokens.length - 1}\u0000`; };
  let text = String(raw || "").replace(/<([^<>]+)>/g, (_, inner) => {
    const [target, label] = inner.split("|");
    if (target.startsWith("@")) return keep(`<span class="mention">@${esc(nameOf(target.slice(1)))}</span>`);
    if (target.startsWith("#")) return keep(`<span class="mention">#${esc(label || channelName(target.slice(1)))}</span>`);
    if (target.startsWith("!date")) return keep(esc(label || ""));
    if (target.startsWith("!")) return keep(`<span class="mention">@${esc(target.slice(1))}</span>`);
    const url = unslack(target);  // Slack writes & in a link as &amp;
    return keep(`<a href="${esc(url)}" target="_blank">${esc(label || url)}</a>`);
  });
  text = text.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre>${esc(unslack(code))}</pre>`));
  text = text.replace(/`([^`]+)`/g, (_, code) => keep(`<code>${esc(unslack(code))}</code>`));
  text = esc(unslack(text));
  text = text.replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>")
    .replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m)
    .replace(/\n/g, "<br>");
  // a token can hold another (a link inside a code span): restore until none is left
  while (/\u0000\d+\u0000/.test(text)) text = text.replace(/\u0000(\d+)\u0000/g, (_, i) => tokens[Number(i)]);
  return text;
}
function channelName(id) {
  const found = channels.find((c) => c.id === id);
  return found ? found.name : id;
}
function plain(obj) { return obj ? (obj.type === "mrkdwn" ? mrkdwn(obj.text) : esc(obj.text)) : ""; }

async function post(verb, body) {
  const response = await fetch(`/ui/${verb}`, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({user, channel, ...body}),
  });
  return response.json();
}

// ---- Block Kit ------------------------------------------------------------------------------
function renderBlocks(blocks, ctx) {
  const out = document.createElement("div");
  for (const block of blocks || []) {
    const el = document.createElement("div");
    el.className = `block ${block.type}`;
    if (block.type === "section") {
      el.innerHTML = plain(block.text);
      if (block.fields) el.innerHTML += block.fields.map((f) => `<div>${plain(f)}</div>`).join("");
      if (block.accessory && block.accessory.type === "button") el.append(button(block.accessory, block, ctx));
    } else if (block.type === "context") {
      el.innerHTML = (block.elements || []).map((e) => e.type === "image" ? "" : plain(e)).join(" ");
    } else if (block.type === "actions") {
      for (const element of block.elements || []) {
        if (element.type === "button") el.append(button(element, block, ctx));
      }
    } else if (block.type === "header") {
      el.innerHTML = `<b>${plain(block.text)}</b>`;
    } else if (block.type === "divider") {
      el.innerHTML = "<hr>";
    } else if (block.type === "input") {
      el.className = "block input";
      el.append(...inputBlock(block, ctx));
    }
    out.append(el);
  }
  return out;
}

function button(element, block, ctx) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = element.text.text;
  b.className = element.style || "";
  b.dataset.actionId = element.action_id;
  b.addEventListener("click", async () => {
    if (element.confirm && !(await confirmDialog(element.confirm))) return;
    await post("action", {
      action_id: element.action_id, block_id: block.block_id || "", value: element.value || "",
      type: "button", message_ts: ctx.ts || "", ephemeral: ctx.kind === "ephemeral",
      view_id: ctx.kind === "view" ? ctx.viewId : undefined,
    });
    refresh();
  });
  return b;
}

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const layer = $("confirm-layer");
    layer.innerHTML = `<div class="confirm-box" role="dialog">
        <h3>${esc(confirm.title.text)}</h3><div>${plain(confirm.text)}</div>
        <div class="buttons"><button id="confirm-no" type="button">${esc(confirm.deny.text)}</button>
        <button id="confirm-yes" class="primary" type="button">${esc(confirm.confirm.text)}</button></div></div>`;
    layer.hidden = false;
    const done = (answer) => { layer.hidden = true; layer.innerHTML = ""; resolve(answer); };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
  });
}

// ---- messages -------------------------------------------------------------------------------
function clock(ts) { return new Date(Number(ts) * 1000).toLocaleTimeString(); }

function messageEl(message, kind) {
  const el = document.createElement("div");
  el.className = `message ${kind === "ephemeral" ? "ephemeral" : ""}`;
  el.dataset.ts = message.ts;
  // A private reply is the app's (or Slackbot's) message that only this person sees.
  const bot = kind === "ephemeral" || !message.user || message.user === "U0BOT00001" || message.bot_id;
  const who = kind === "ephemeral" ? (message.author || "sdrs-bot") : bot ? "sdrs-bot" : nameOf(message.user);
  el.innerHTML = `<div class="avatar ${bot ? "bot" : ""}">${esc(who[0].toUpperCase())}</div><div class="content">
      <div class="meta"><b>${esc(who)}</b>${bot ? '<span class="app">APP</span> ' : ""}${esc(clock(message.ts))}
      ${kind === "ephemeral" ? '<span class="only-you">· Only visible to you</span>' : ""}</div></div>`;
  const content = el.querySelector(".content");
  const ctx = {kind, ts: message.ts};
  if (message.blocks && message.blocks.length) content.append(renderBlocks(message.blocks, ctx));
  else content.insertAdjacentHTML("beforeend", `<div>${mrkdwn(message.text)}</div>`);
  if (message.reply_broadcast) {
    const note = document.createElement("a");
    note.className = "broadcast";
    note.textContent = "replied to a thread";
    note.href = "#";
    note.onclick = (event) => { event.preventDefault(); openThread(message.thread_ts); };
    content.prepend(note);
  }
  const replies = message.replies || [];
  if (replies.length) {  // Slack collapses a thread to "N replies"; it opens on the side
    const link = document.createElement("a");
    link.className = "replies";
    link.href = "#";
    link.dataset.testid = "replies";
    link.innerHTML = `<b>${replies.length} ${replies.length === 1 ? "reply" : "replies"}</b>
        <span class="meta">Last reply ${esc(clock(replies[replies.length - 1].ts))}</span>`;
    link.onclick = (event) => { event.preventDefault(); openThread(message.ts); };
    content.append(link);
  }
  return el;
}

function replyEl(reply) {
  const r = document.createElement("div");
  r.className = "message reply";
  r.dataset.ts = reply.ts;
  const bot = !reply.user || reply.user === "U0BOT00001" || reply.bot_id;
  const who = bot ? "sdrs-bot" : nameOf(reply.user);
  r.innerHTML = `<div class="avatar ${bot ? "bot" : ""}">${esc(who[0].toUpperCase())}</div><div class="content">
      <div class="meta"><b>${esc(who)}</b>${bot ? '<span class="app">APP</span> ' : ""}${esc(clock(reply.ts))}
      ${reply.reply_broadcast ? '<span class="only-you">· Also sent to the channel</span>' : ""}</div></div>`;
  const blocks = reply.blocks && reply.blocks.length ? reply.blocks
    : [{type: "section", text: {type: "mrkdwn", text: reply.text}}];
  r.querySelector(".content").append(renderBlocks(blocks, {kind: "message", ts: reply.ts}));
  return r;
}

let openTs = null;
let lastState = null;
let lastThread = "";
function openThread(ts) {
  openTs = ts;
  lastThread = "";
  $("thread").hidden = false;
  $("cloud").hidden = true;
  if (lastState) renderThread(lastState);
}
function closeThread() {
  openTs = null;
  $("thread").hidden = true;
  $("cloud").hidden = false;
}
function renderThread(state) {
  if (!openTs) return;
  const parent = state.messages.find((m) => m.ts === openTs);
  const key = JSON.stringify(parent || null);
  if (key === lastThread) return;
  lastThread = key;
  const body = $("thread-body");
  if (!parent) { body.textContent = "This thread is gone."; return; }
  const replies = parent.replies || [];
  const count = document.createElement("div");
  count.className = "reply-count";
  count.textContent = `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`;
  const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 60;
  body.replaceChildren(messageEl({...parent, replies: []}, "message"), count, ...replies.map(replyEl));
  if (atBottom || body.scrollTop === 0) body.scrollTop = body.scrollHeight;
}

let stick = true;  // scroll to the newest message on the next render (first load, after sending)
let shownCount = 0;
function renderMessages(state, ephemerals) {
  const key = JSON.stringify([state.messages, ephemerals]);
  if (key === lastMessages) return;
  lastMessages = key;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const items = [...state.messages.map((m) => ["message", m]), ...ephemerals.map((m) => ["ephemeral", m])];
  items.sort((a, b) => Number(a[1].ts) - Number(b[1].ts));
  box.replaceChildren(...items.map(([kind, m]) => messageEl(m, kind)));
  const grew = items.length > shownCount;
  shownCount = items.length;
  if (stick || atBottom) {
    box.scrollTop = box.scrollHeight;
    stick = false;
    $("new-below").hidden = true;
  } else if (grew) {
    $("new-below").hidden = false;  // reading older messages: Slack offers a jump instead
  }
}

// ---- modals ---------------------------------------------------------------------------------
function inputBlock(block, ctx) {
  const parts = [];
  const label = document.createElement("label");
  label.className = "title";
  label.textContent = block.label.text + (block.optional ? " (optional)" : "");
  parts.push(label);
  const e = block.element;
  // what was entered before a views.update: Slack keeps it for the same block_id and action_id
  const kept = ((ctx.values || {})[block.block_id] || {})[e.action_id];
  const holder = document.createElement("div");
  holder.dataset.blockId = block.block_id;
  holder.dataset.actionId = e.action_id;
  holder.dataset.type = e.type;
  if (e.type === "plain_text_input") {
    const input = document.createElement("input");
    input.type = "text";
    input.value = kept ? (kept.value || "") : (e.initial_value || "");
    input.name = block.block_id;
    holder.append(input);
  } else if (e.type === "static_select") {
    const select = document.createElement("select");
    select.name = block.block_id;
    select.innerHTML = `<option value="">${esc((e.placeholder && e.placeholder.text) || "Choose")}</option>` +
      (e.options || []).map((o) => `<option value="${esc(o.value)}">${esc(o.text.text)}</option>`).join("");
    const chosen = kept ? kept.selected_option : e.initial_option;
    if (chosen) select.value = chosen.value;
    holder.append(select);
  } else if (e.type === "external_select") {
    holder.append(externalSelect(block, e, ctx));
  } else if (e.type === "checkboxes") {
    const initial = new Set(((kept ? kept.selected_options : e.initial_options) || []).map((o) => o.value));
    for (const o of e.options || []) {
      const row = document.createElement("label");
      row.className = "checkbox";
      row.innerHTML = `<input type="checkbox" value="${esc(o.value)}" ${initial.has(o.value) ? "checked" : ""}> <span>${esc(o.text.text)}</span>` +
        (o.description ? ` <span class="description">${esc(o.description.text)}</span>` : "");
      holder.append(row);
    }
    if (block.dispatch_action) {  // Slack sends block_actions at once, so the form can adapt
      holder.addEventListener("change", async () => {
        const selected = [...holder.querySelectorAll("input:checked")].map(checkedOption);
        await post("action", {view_id: ctx.viewId, action_id: e.action_id, block_id: block.block_id,
                              type: "checkboxes", selected_options: selected,
                              values: viewValues($("modal-layer"))});
        refresh();
      });
    }
  }
  parts.push(holder);
  if (block.hint) parts.push(Object.assign(document.createElement("div"), {className: "hint", textContent: block.hint.text}));
  parts.push(Object.assign(document.createElement("div"), {className: "error", id: `error-${block.block_id}`}));
  return parts;
}

function externalSelect(block, e, ctx) {
  const wrap = document.createElement("div");
  const input = document.createElement("input");
  input.type = "text";
  input.name = block.block_id;
  input.placeholder = (e.placeholder && e.placeholder.text) || "Type to search";
  const list = document.createElement("div");
  list.className = "suggest";
  list.hidden = true;
  wrap.append(input, list);
  const kept = ((ctx.values || {})[block.block_id] || {})[e.action_id];
  const chosen = (kept && kept.selected_option) || e.initial_option;
  if (chosen) {
    input.value = chosen.text.text;
    wrap.dataset.selected = JSON.stringify(chosen);
  }
  // Slack asks for options (a signed block_suggestion) once min_query_length characters are
  // typed (3 when the element does not say), and shows the answer to the latest question only
  const minQuery = e.min_query_length ?? 3;
  let asked = 0;
  const search = async () => {
    const question = ++asked;
    if (input.value.length < minQuery) { list.hidden = true; return; }
    const answer = await post("options", {view_id: ctx.viewId, action_id: e.action_id, block_id: block.block_id, value: input.value});
    if (question !== asked) return;
    list.replaceChildren(...answer.options.map((o) => {
      const item = document.createElement("div");
      item.textContent = o.text.text;
      item.dataset.value = o.value;
      item.onclick = async () => {
        input.value = o.text.text;
        wrap.dataset.selected = JSON.stringify(o);
        list.hidden = true;
        if (block.dispatch_action) {
          await post("action", {view_id: ctx.viewId, action_id: e.action_id, block_id: block.block_id,
                                type: "external_select", selected_option: o,
                                values: viewValues($("modal-layer"))});
        }
      };
      return item;
    }));
    list.hidden = false;
  };
  input.addEventListener("focus", search);
  input.addEventListener("input", search);
  return wrap;
}

function checkedOption(c) {
  return {text: {type: "plain_text", text: c.parentElement.querySelector("span").textContent.trim()}, value: c.value};
}

function viewValues(layer) {
  const values = {};
  for (const holder of layer.querySelectorAll("[data-block-id]")) {
    const {blockId, actionId, type} = holder.dataset;
    let state = {type};
    if (type === "plain_text_input") state.value = holder.querySelector("input").value;
    else if (type === "static_select") {
      const select = holder.querySelector("select");
      state.selected_option = select.value ? {text: {type: "plain_text", text: select.selectedOptions[0].textContent}, value: select.value} : null;
    } else if (type === "external_select") {
      const wrap = holder.firstChild;
      state.selected_option = wrap.dataset.selected ? JSON.parse(wrap.dataset.selected) : null;
    } else if (type === "checkboxes") {
      state.selected_options = [...holder.querySelectorAll("input:checked")].map(checkedOption);
    }
    values[blockId] = {[actionId]: state};
  }
  return values;
}

function renderView(view) {
  const layer = $("modal-layer");
  const key = view ? `${view.id}:${view.hash}` : "";
  if (key === lastView) return;
  lastView = key;
  if (!view) { layer.hidden = true; layer.replaceChildren(); return; }
  const modal = document.createElement("div");
  modal.className = "modal";
  modal.id = "modal";
  modal.dataset.callbackId = view.callback_id;
  modal.innerHTML = `<header>${esc(view.title.text)}</header><div class="body"></div>
    <footer><button id="modal-close" type="button">${esc((view.close && view.close.text) || "Cancel")}</button>
    <button id="modal-submit" class="primary" type="button">${esc((view.submit && view.submit.text) || "Submit")}</button></footer>`;
  modal.querySelector(".body").append(renderBlocks(view.blocks, {kind: "view", viewId: view.id,
                                                                values: (view.state || {}).values}));
  layer.replaceChildren(modal);
  layer.hidden = false;
  $("modal-close").onclick = async () => { await post("close", {view_id: view.id}); refresh(); };
  $("modal-submit").onclick = async () => {
    for (const err of layer.querySelectorAll(".error")) err.textContent = "";
    const answer = await post("submit", {view_id: view.id, values: viewValues(layer)});
    if (answer.errors) {
      for (const [blockId, text] of Object.entries(answer.errors)) {
        const slot = $(`error-${blockId}`);
        if (slot) slot.textContent = text;
      }
    }
    refresh();
  };
}

// ---- the emulated cloud ---------------------------------------------------------------------
// Updated in place: rows and buttons stay the same elements, so a click is never lost to a redraw.
function setHTML(el, html) {
  if (el._html !== html) { el.innerHTML = html; el._html = html; }
}
function child(parent, id, tag, setup) {
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement(tag);
    el.id = id;
    if (setup) setup(el);
    parent.append(el);
  }
  return el;
}
function serverEl(cell, s, account) {
  const el = child(cell, `srv-${account}-${s.id}`, "div", (div) => {
    div.className = "server";
    div.innerHTML = '<span class="name"></span> <span class="status"></span> <span class="flavor"></span> ';
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.server = s.id;
    b.dataset.account = account;
    b.onclick = async () => {
      await post("power", {account, server_id: b.dataset.server, status: b.dataset.to});
      refreshCloud();
    };
    div.append(b);
  });
  const off = s.status === "SHUTOFF";
  const set = (sel, text, cls) => {
    const span = el.querySelector(sel);
    if (span.textContent !== text) span.textContent = text;
    if (cls !== undefined && span.className !== cls) span.className = cls;
  };
  set(".name", s.name);
  // ECS's task_state while a stop/start job works on it (the status changes only at its end)
  set(".status", s.task_state ? `${s.status} · ${s.task_state}` : s.status,
      `status status-${s.status}${s.task_state ? " busy" : ""}`);
  set(".flavor", s.flavor);
  const b = el.querySelector("button");
  const to = off ? "ACTIVE" : "SHUTOFF";
  if (b.dataset.to !== to) { b.dataset.to = to; b.textContent = off ? "start" : "stop"; }
}
// One section per account (id cloud-<account>); the selected channel's accounts are shown.
let lastCloud = null;
function renderCloud(cloud) {
  lastCloud = cloud;
  const bound = new Set(((channels.find((c) => c.id === channel) || {}).accounts || []).map((a) => a.name));
  for (const account of cloud.accounts) {
    const section = child($("cloud-body"), `cloud-${account.name}`, "section", (el) => {
      el.className = "account";
      el.dataset.account = account.name;
      el.innerHTML = `<h3 class="account-name">Account <code>${esc(account.name)}</code> (${esc(account.region)})</h3>
        <h4>Protected instances and their servers</h4><table class="cloud-instances"></table>
        <h4>Jobs</h4><table class="cloud-jobs"></table><h4>DR drills</h4><table class="cloud-drills"></table>`;
    });
    section.hidden = bound.size > 0 && !bound.has(account.name);
    renderAccount(section, account);
  }
  setHTML($("fault-account"), `account <code>${esc(cloud.faults_account)}</code>`);
  setHTML($("fault-active"), (cloud.faults || []).map((f) => `<li>${esc(f)}</li>`).join(""));
}
function renderAccount(section, cloud) {
  const account = cloud.name;
  const table = section.querySelector(".cloud-instances");
  for (const i of Object.values(cloud.instances)) {
    const row = child(table, `inst-${account}-${i.id}`, "tr", (tr) => { tr.innerHTML = '<td class="info"></td><td class="servers"></td>'; });
    setHTML(row.querySelector(".info"), `<b>${esc(i.name)}</b><br><span class="meta">${esc(i.status)} · ${esc((cloud.groups[i.group_id] || {}).name || "")}</span><br><code>${esc(i.id)}</code>`);
    const cell = row.querySelector(".servers");
    for (const id of [i.source_server, i.target_server]) if (cloud.servers[id]) serverEl(cell, cloud.servers[id], account);
  }
  const jobs = Object.values(cloud.jobs).slice(-8).reverse().map((j) =>
    `<tr><td><code>${esc(j.job_id)}</code></td><td class="status-${esc(j.status)}">${esc(j.status)}${j.error_code ? ` ${esc(j.error_code)}` : ""}</td></tr>`).join("");
  setHTML(section.querySelector(".cloud-jobs"), jobs || "<tr><td>none yet</td></tr>");
  setHTML(section.querySelector(".cloud-drills"), Object.values(cloud.drills).map((d) => `<tr><td>${esc(d.name)}</td><td><code>${esc(d.id)}</code></td></tr>`).join(""));
}

for (const b of document.querySelectorAll("button[data-fault]")) {
  b.addEventListener("click", async () => {
    const answer = await post("fault", {
      kind: b.dataset.fault, code: $(b.dataset.codeInput || "fault-code").value, seconds: b.dataset.fault === "slack-ratelimit"
        ? Number($("fault-slack-seconds").value) : Number($("fault-seconds").value),
      status: Number($("fault-status").value),
    });
    $("fault-done").textContent = answer.ok ? answer.done : answer.error;
    refreshCloud();
  });
}

// ---- loop -----------------------------------------------------------------------------------
let cursor = null;  // private replies after this one are this page's (none survive a reload)
let ephemerals = new Map();
let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const since = cursor === null ? "" : cursor;
    const asked = channel;
    const state = await (await fetch(`/ui/state?user=${encodeURIComponent(user)}&since=${since}` +
      `&channel=${encodeURIComponent(asked)}`)).json();
    if (asked !== channel) return;  // switched meanwhile: the next poll shows the new one
    if (state.channel.id !== channel) channel = state.channel.id;  // a channel that is gone
    if (!people.length) {
      people = state.people;
      $("user").innerHTML = people.map((p) => `<option value="${p.id}">${esc(p.name)} (${esc(p.role)}, ${esc(p.locale)})</option>`).join("");
      $("user").value = user;
    }
    renderChannels(state);
    const mode = state.channel.approval === "two-person"
      ? "Two-person rule: an approver (bob, carol) confirms" : "Approval: the requester confirms";
    if ($("mode").textContent !== mode) $("mode").textContent = mode;
    $("mode").className = `mode ${state.channel.approval}`;
    for (const e of state.ephemerals) ephemerals.set(e.ts, e);
    cursor = state.cursor;
    lastState = state;
    renderMessages(state, [...ephemerals.values()].filter((e) => (e.channel || "C0DROPS001") === channel));
    renderThread(state);
    renderView(state.view);
  } catch (err) { /* the playground is stopping */ } finally { busy = false; }
}
// ---- channels -------------------------------------------------------------------------------
// The sidebar lists the channels; the header shows the selected one's bound account(s).
function renderChannels(state) {
  const key = JSON.stringify([state.channels, state.channel.id]);
  if (key === renderChannels.last) return;
  renderChannels.last = key;
  channels = state.channels;
  $("channels").replaceChildren(...channels.map((c) => {
    const el = document.createElement("a");
    el.href = "#";
    el.className = `channel ${c.id === channel ? "active" : ""}`;
    el.dataset.channel = c.id;
    el.textContent = `# ${c.name}`;
    el.onclick = (event) => { event.preventDefault(); switchChannel(c.id); };
    return el;
  }));
  const here = state.channel;
  $("channel-name").textContent = `# ${here.name}`;
  $("channel-topic").textContent = here.topic;
  $("accounts").innerHTML = (here.accounts.length > 1 ? "Accounts: " : "Account: ") +
    here.accounts.map((a) => `<code>${esc(a.name)}</code> (${esc(a.region)})`).join(", ");
  $("command").placeholder = `Message #${here.name} - or /sdrs help`;
  $("thread-channel").textContent = `# ${here.name}`;
  document.title = `sdrs-bot playground - #${here.name}`;
  if (lastCloud) renderCloud(lastCloud);
}
function switchChannel(id) {
  if (id === channel) return;
  channel = id;
  localStorage.setItem("sdrs-playground-channel", channel);
  lastMessages = ""; stick = true; shownCount = 0;
  closeThread();
  refresh();
}

async function refreshCloud() {
  try { renderCloud(await (await fetch("/ui/cloud")).json()); } catch (err) { /* stopping */ }
}

$("user").addEventListener("change", () => {
  user = $("user").value;
  localStorage.setItem("sdrs-playground-user", user);
  ephemerals = new Map();  // another person's screen: their private replies are not yours
  lastMessages = ""; lastView = ""; stick = true;
  refresh();
});
$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("command").value.trim();
  if (!text) return;
  $("command").value = "";
  stick = true;
  await post("command", {text});
  refresh();
});
$("thread-close").addEventListener("click", closeThread);
// A link to a message of this workspace (chat.getPermalink: /archives/<channel>/p<ts digits>,
// ?thread_ts= for a reply) opens its thread here, as Slack's client does.
document.addEventListener("click", (event) => {
  const a = event.target.closest && event.target.closest("a[href]");
  const m = a && /\/archives\/[A-Z0-9]+\/p(\d{10})(\d{6})(?:\?thread_ts=([\d.]+))?/.exec(a.getAttribute("href"));
  if (!m) return;
  event.preventDefault();
  openThread(m[3] || `${m[1]}.${m[2]}`);
});
$("new-below").addEventListener("click", () => {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  $("new-below").hidden = true;
});
$("messages").addEventListener("scroll", () => {
  const box = $("messages");
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 80) $("new-below").hidden = true;
});
// A page (re)load is a new client: as in Slack, the modals open before it are gone.
(async () => {
  try { await post("reload", {}); } catch (err) { /* the playground is stopping */ }
  refresh();
  refreshCloud();
  setInterval(refresh, 400);
  setInterval(refreshCloud, 1000);
})();
