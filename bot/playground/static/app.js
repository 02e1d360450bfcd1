// The playground page: renders what the bot posted (Block Kit) as Slack would, and sends what
// people do to the Slack stand-in, which delivers it to the bot as signed Slack requests.
"use strict";

const EMOJI = {
  warning: "⚠️", white_check_mark: "✅", x: "❌", no_entry_sign: "🚫", no_entry: "⛔",
  hourglass: "⌛", inbox_tray: "📥", arrow_forward: "▶️", mega: "📣",
  arrows_counterclockwise: "🔄", white_small_square: "▫️",
};
let people = [];
let user = localStorage.getItem("sdrs-playground-user") || "U0ALICE001";
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
    if (target.startsWith("#")) return keep(`<span class="mention">#${esc(label || "dr-ops")}</span>`);
    if (target.startsWith("!date")) return keep(esc(label || ""));
    if (target.startsWith("!")) return keep(`<span class="mention">@${esc(target.slice(1))}</span>`);
    return keep(`<a href="${esc(target)}" target="_blank">${esc(label || target)}</a>`);
  });
  text = text.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre>${esc(unslack(code))}</pre>`));
  text = text.replace(/`([^`]+)`/g, (_, code) => keep(`<code>${esc(unslack(code))}</code>`));
  text = esc(unslack(text));
  text = text.replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>")
    .replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m)
    .replace(/\n/g, "<br>");
  return text.replace(/\u0000(\d+)\u0000/g, (_, i) => tokens[Number(i)]);
}
function plain(obj) { return obj ? (obj.type === "mrkdwn" ? mrkdwn(obj.text) : esc(obj.text)) : ""; }

async function post(verb, body) {
  const response = await fetch(`/ui/${verb}`, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({user, ...body}),
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
function messageEl(message, kind) {
  const el = document.createElement("div");
  el.className = `message ${kind === "ephemeral" ? "ephemeral" : ""}`;
  el.dataset.ts = message.ts;
  const bot = !message.user || message.user === "U0BOT00001" || message.bot_id;
  const who = bot ? "sdrs-bot" : nameOf(message.user);
  const when = new Date(Number(message.ts) * 1000).toLocaleTimeString();
  el.innerHTML = `<div class="avatar ${bot ? "bot" : ""}">${esc(who[0].toUpperCase())}</div><div class="content">
      <div class="meta"><b>${esc(who)}</b>${bot ? "APP " : ""}${esc(when)}
      ${kind === "ephemeral" ? '<span class="only-you">· Only visible to you</span>' : ""}</div></div>`;
  const content = el.querySelector(".content");
  const ctx = {kind, ts: message.ts};
  if (message.blocks && message.blocks.length) content.append(renderBlocks(message.blocks, ctx));
  else content.insertAdjacentHTML("beforeend", `<div>${mrkdwn(message.text)}</div>`);
  if (message.reply_broadcast) content.insertAdjacentHTML("afterbegin", '<div class="broadcast">replied to a thread</div>');
  if (message.replies && message.replies.length) {
    const thread = document.createElement("div");
    thread.className = "thread";
    thread.dataset.testid = "thread";
    for (const reply of message.replies) {
      const r = document.createElement("div");
      r.className = "reply";
      r.innerHTML = `<div class="meta"><b>sdrs-bot</b>${esc(new Date(Number(reply.ts) * 1000).toLocaleTimeString())}</div>`;
      r.append(renderBlocks(reply.blocks && reply.blocks.length ? reply.blocks : [{type: "section", text: {type: "mrkdwn", text: reply.text}}], {kind: "message", ts: reply.ts}));
      thread.append(r);
    }
    content.append(thread);
  }
  return el;
}

function renderMessages(state) {
  const key = JSON.stringify([state.messages, state.ephemerals]);
  if (key === lastMessages) return;
  lastMessages = key;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const items = [...state.messages.map((m) => ["message", m]), ...state.ephemerals.map((m) => ["ephemeral", m])];
  items.sort((a, b) => Number(a[1].ts) - Number(b[1].ts));
  box.replaceChildren(...items.map(([kind, m]) => messageEl(m, kind)));
  if (atBottom) box.scrollTop = box.scrollHeight;
}

// ---- modals ---------------------------------------------------------------------------------
function inputBlock(block, ctx) {
  const parts = [];
  const label = document.createElement("label");
  label.className = "title";
  label.textContent = block.label.text + (block.optional ? " (optional)" : "");
  parts.push(label);
  const e = block.element;
  const holder = document.createElement("div");
  holder.dataset.blockId = block.block_id;
  holder.dataset.actionId = e.action_id;
  holder.dataset.type = e.type;
  if (e.type === "plain_text_input") {
    const input = document.createElement("input");
    input.type = "text";
    input.value = e.initial_value || "";
    input.name = block.block_id;
    holder.append(input);
  } else if (e.type === "static_select") {
    const select = document.createElement("select");
    select.name = block.block_id;
    select.innerHTML = `<option value="">${esc((e.placeholder && e.placeholder.text) || "Choose")}</option>` +
      (e.options || []).map((o) => `<option value="${esc(o.value)}">${esc(o.text.text)}</option>`).join("");
    if (e.initial_option) select.value = e.initial_option.value;
    holder.append(select);
  } else if (e.type === "external_select") {
    holder.append(externalSelect(block, e, ctx));
  } else if (e.type === "checkboxes") {
    const initial = new Set((e.initial_options || []).map((o) => o.value));
    for (const o of e.options || []) {
      const row = document.createElement("label");
      row.className = "checkbox";
      row.innerHTML = `<input type="checkbox" value="${esc(o.value)}" ${initial.has(o.value) ? "checked" : ""}> ${esc(o.text.text)}`;
      holder.append(row);
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
  if (e.initial_option) {
    input.value = e.initial_option.text.text;
    wrap.dataset.selected = JSON.stringify(e.initial_option);
  }
  const search = async () => {
    const answer = await post("options", {view_id: ctx.viewId, action_id: e.action_id, block_id: block.block_id, value: input.value});
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
                                type: "external_select", selected_option: o});
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
      state.selected_options = [...holder.querySelectorAll("input:checked")].map((c) => ({
        text: {type: "plain_text", text: c.parentElement.textContent.trim()}, value: c.value}));
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
  modal.querySelector(".body").append(renderBlocks(view.blocks, {kind: "view", viewId: view.id}));
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
function renderCloud(cloud) {
  const groups = cloud.groups;
  const rows = Object.values(cloud.instances).map((i) => {
    const servers = [i.source_server, i.target_server].map((id) => cloud.servers[id]).filter(Boolean);
    const cells = servers.map((s) => `<div>${esc(s.name)} <span class="status-${esc(s.status)}">${esc(s.status)}</span>
        ${esc(s.flavor)} <button type="button" data-server="${esc(s.id)}" data-to="${s.status === "SHUTOFF" ? "ACTIVE" : "SHUTOFF"}">${s.status === "SHUTOFF" ? "start" : "stop"}</button></div>`).join("");
    return `<tr><td><b>${esc(i.name)}</b><br><span class="meta">${esc(i.status)} · ${esc((groups[i.group_id] || {}).name || "")}</span><br><code>${esc(i.id)}</code></td><td>${cells}</td></tr>`;
  }).join("");
  const jobs = Object.values(cloud.jobs).slice(-8).reverse().map((j) =>
    `<tr><td><code>${esc(j.job_id)}</code></td><td class="status-${esc(j.status)}">${esc(j.status)}</td></tr>`).join("");
  const drills = Object.values(cloud.drills).map((d) => `<tr><td>${esc(d.name)}</td><td><code>${esc(d.id)}</code></td></tr>`).join("");
  $("cloud-body").innerHTML = `<h3>Protected instances and their servers</h3><table>${rows}</table>
      <h3>Jobs</h3><table>${jobs || "<tr><td>none yet</td></tr>"}</table><h3>DR drills</h3><table>${drills}</table>`;
  for (const b of $("cloud-body").querySelectorAll("button[data-server]")) {
    b.onclick = async () => { await post("power", {server_id: b.dataset.server, status: b.dataset.to}); refreshCloud(); };
  }
}

// ---- loop -----------------------------------------------------------------------------------
async function refresh() {
  try {
    const state = await (await fetch(`/ui/state?user=${encodeURIComponent(user)}`)).json();
    if (!people.length) {
      people = state.people;
      $("user").innerHTML = people.map((p) => `<option value="${p.id}">${esc(p.name)} (${esc(p.role)})</option>`).join("");
      $("user").value = user;
    }
    renderMessages(state);
    renderView(state.view);
  } catch (err) { /* the playground is stopping */ }
}
async function refreshCloud() {
  try { renderCloud(await (await fetch("/ui/cloud")).json()); } catch (err) { /* stopping */ }
}

$("user").addEventListener("change", () => {
  user = $("user").value;
  localStorage.setItem("sdrs-playground-user", user);
  lastMessages = ""; lastView = "";
  refresh();
});
$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("command").value.trim();
  if (!text) return;
  $("command").value = "";
  await post("command", {text});
  refresh();
});
refresh();
refreshCloud();
setInterval(refresh, 400);
setInterval(refreshCloud, 1000);
