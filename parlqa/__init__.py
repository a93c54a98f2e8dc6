"""parlqa: offline, cited question answering over UK parliamentary written questions and answers."""

__version__ = "0.1.0"
