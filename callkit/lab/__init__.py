"""The lab's own tooling: student notebooks built from solutions/, headless grading, and
``callkit lab`` to open JupyterLab on them.

Kept out of ``callkit/__init__`` on purpose: students import callkit in every notebook and
should not pay for nbformat/nbclient imports they never use.
"""
