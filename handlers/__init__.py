"""The Slack adapter: everything that speaks Slack, and nothing else does.

- the Bolt app and how payloads reach it (:mod:`.app`), the Web API client (:mod:`.client`);
- listeners, thin: ack, read the payload once, hand the work to an operation (:mod:`.commands`,
  :mod:`.actions`, :mod:`.forms`), through the durable inbox (:mod:`.inbox`);
- wording and Block Kit, by topic, each message's rendering beside its wording
  (:mod:`.messages`: confirmation, outcome, preflight, reports, runbook, windows, jobs, history,
  announce, help, errors, cloud; the forms in :mod:`.modals`, read back by :mod:`.modal_input`),
  reached through one dispatch table per kind of message (:mod:`.render`);
- the chat port the operations talk to (:mod:`.slack_chat`, :mod:`.slack_io`), the outbox sender
  (:mod:`.outbox`), permalinks (:mod:`.links`), look-ups (:mod:`.lookup`), Slack's error codes
  (:mod:`.slack_errors`), scopes and what ``sdrs-bot check`` asks Slack (:mod:`.scopes`,
  :mod:`.slack_check`).
"""
