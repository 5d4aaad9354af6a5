"""The replacement-rules generator: which Pulumi inputs force a replacement, read from the providers'
Go sources (cli.py documents the command).
"""
