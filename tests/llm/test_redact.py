"""The one redaction step: registered keys, secret-looking environment variables, URL credentials."""

from __future__ import annotations

from wslab.core.redact import redact, register_secret


def test_redact_hides_keys_credentials_and_auth_headers(monkeypatch):
    register_secret("sk-registered-0123456789")
    monkeypatch.setenv("ACME_API_KEY", "acme-secret-value-42")
    monkeypatch.setenv("ACME_REGION", "eu-west-1-long-value")  # not a secret by its name
    text = ("key sk-registered-0123456789 / acme-secret-value-42 at https://u:p4ss@host:8080/v1 "
            "ftp://token@files.example.org/x, Authorization: Bearer abcdefgh12345, Basic YWxpY2U6cHc= "
            "in eu-west-1-long-value; http://host/path@x stays")
    assert redact(text) == ("key *** / *** at https://***@host:8080/v1 ftp://***@files.example.org/x, "
                            "Authorization: Bearer ***, Basic *** in eu-west-1-long-value; "
                            "http://host/path@x stays")
    register_secret("sk-ab7")  # the configured key is hidden whatever its length (issue 22.6)
    assert redact("key sk-ab7 refused") == "key *** refused"
