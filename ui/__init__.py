"""The Gradio chat (``ui.app.build_app``, ``ui.app.launch``) and the JSON HTTP API beside it (``ui.api``)."""
