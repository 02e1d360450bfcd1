"""Operations (use cases): request a confirmation (:mod:`.request`), decide a click once
(:mod:`.decide`), execute and recover an interrupted execution (:mod:`.execute`), expire
(:mod:`.expire`), track SDRS jobs (:mod:`.track`), run stop-resize-start (:mod:`.runbook`) and
maintenance windows (:mod:`.schedule`), answer status queries (:mod:`.status`) and fill forms
(:mod:`.form_reads`).

They know no Slack: they talk to the chat through :class:`bot.operations.chat.Chat` (post a
confirmation, tell one person privately, know a user's groups), queue every message edit and
report in the store's outbox as facts (rendered by the adapter when sent), and call the cloud
clients. The Slack adapter (``handlers/``) acks, reads the typed payload and calls these; the
worker process runs the same functions.
"""
