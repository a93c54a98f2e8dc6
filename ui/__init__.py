"""The Gradio chat: ``ui.app.build_app`` and ``ui.app.launch``."""
