"""Declarative labeling-function specs.

An LF spec file is YAML: ``lfs: [ {name, label, kind, ...parameters, provenance}, ... ]``.
LFs are data: a model (or a person) writes them, :func:`load_lf_specs` validates them, and
:mod:`wslab.labeling.compile` turns each into one Polars expression. Nothing in a spec is ever
executed as code, except ``kind: python``, which names a function in a module the *user* wrote.

Condition kinds (usable as an LF, or nested inside ``all_of`` / ``any_of`` / ``not``):

* ``keywords``: ``keywords: [..]``, ``match: any|all``, ``whole_word: true``,
  ``case_sensitive: false``, ``column`` (default: the corpus text column).
* ``regex``: ``pattern``, ``case_sensitive: false``, ``column``.
* ``column``: ``column``, ``op`` (eq, ne, gt, ge, lt, le, in, not_in, is_null, not_null), ``value``.
* ``text_length``: ``min`` and/or ``max`` characters, ``column``.
* ``all_of`` / ``any_of``: ``conditions: [..]``; ``not``: ``condition: {..}``.

LF-only kinds: ``python`` (``function: module:function``, Snorkel style) and ``prompt`` (run
by an LLM; see :mod:`wslab.labeling.prompt_lf`).

Example::

    lfs:
      - name: kw_card_blocked
        label: card
        kind: keywords
        keywords: [card blocked, карта заблокирована]
      - name: fraud_not_question
        label: fraud
        kind: all_of
        conditions:
          - {kind: regex, pattern: "(stolen|украл)"}
          - {kind: not, condition: {kind: keywords, keywords: ["how to"]}}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from wslab.core.artifacts import ABSTAIN  # noqa: F401  (defined once, with the other contracts)
from wslab.core.errors import ConfigError
from wslab.core.validation import did_you_mean
from wslab.core.yamlfile import read_yaml

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,79}$")
RESERVED_NAMES = frozenset({"id"})
"""LF names that would replace a column of the label matrix (``id`` + one column per LF)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeywordsCond(_Strict):
    kind: Literal["keywords"]
    keywords: list[str] = Field(min_length=1)
    match: Literal["any", "all"] = "any"
    whole_word: bool = True
    case_sensitive: bool = False
    column: str | None = None

    @field_validator("keywords")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if any(not k.strip() for k in v):
            raise ValueError(f"expected keywords that are not blank; got {v!r}")
        return v


class RegexCond(_Strict):
    kind: Literal["regex"]
    pattern: str = Field(min_length=1)
    case_sensitive: bool = False
    column: str | None = None


ColumnOp = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "is_null", "not_null"]


class ColumnCond(_Strict):
    kind: Literal["column"]
    column: str
    op: ColumnOp
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> "ColumnCond":
        if self.op in ("in", "not_in") and not (isinstance(self.value, list) and self.value):
            raise ValueError(f"key 'value': expected a non-empty list of values for op {self.op!r}; got {self.value!r}")
        if self.op in ("gt", "ge", "lt", "le") and (not isinstance(self.value, (int, float)) or isinstance(self.value, bool)):
            raise ValueError(f"key 'value': expected a number for op {self.op!r}; got {self.value!r}")
        if self.op in ("eq", "ne") and self.value is None:
            raise ValueError(f"key 'value': expected a value to compare with for op {self.op!r}; got none")
        return self


class TextLengthCond(_Strict):
    kind: Literal["text_length"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    column: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> "TextLengthCond":
        if self.min is None and self.max is None:
            raise ValueError("key 'min': expected min and/or max (characters); got neither")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"key 'max': expected max >= min ({self.min}); got {self.max}")
        return self


class AllOfCond(_Strict):
    kind: Literal["all_of"]
    conditions: list["Condition"] = Field(min_length=1)


class AnyOfCond(_Strict):
    kind: Literal["any_of"]
    conditions: list["Condition"] = Field(min_length=1)


class NotCond(_Strict):
    kind: Literal["not"]
    condition: "Condition"


Condition = Annotated[
    Union[KeywordsCond, RegexCond, ColumnCond, TextLengthCond, AllOfCond, AnyOfCond, NotCond],
    Field(discriminator="kind"),
]
AllOfCond.model_rebuild()
AnyOfCond.model_rebuild()
NotCond.model_rebuild()

_CONDITION = TypeAdapter(Condition)
CONDITION_KINDS = ("keywords", "regex", "column", "text_length", "all_of", "any_of", "not")


class PythonLF(_Strict):
    """A Snorkel-style LF written by the user: ``function: package.module:function_name``.

    The function receives a row (attribute access, like Snorkel's ``x.text``) and returns a
    label name, a class index, or ``None`` / ``-1`` to abstain. Snorkel ``LabelingFunction``
    objects work as they are.
    """

    kind: Literal["python"]
    function: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class LFSpec(_Strict):
    """One labeling function: a name, the label it votes for, and how it decides."""

    name: str
    label: str | None = None
    """Label name voted when the condition holds. Python and prompt LFs choose their own."""
    vote: Literal["for", "against"] = "for"
    """Multi-label projects only: ``for`` votes that the tag ``label`` applies, ``against`` that it does not."""
    condition: Condition | PythonLF | None = None
    prompt: dict[str, Any] | None = None
    """Raw parameters of a ``kind: prompt`` LF, validated by the LLM layer."""
    description: str | None = None
    provenance: dict[str, Any] = Field(default_factory=dict)
    source_file: str | None = None

    @property
    def kind(self) -> str:
        if self.prompt is not None:
            return "prompt"
        assert self.condition is not None
        return self.condition.kind


META_KEYS = {"name", "label", "vote", "description", "provenance"}


def parse_lf(raw: Any, *, where: str = "LF spec") -> LFSpec:
    """Validate one LF entry (a mapping) and return its spec; ``where`` names it in errors."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with name, label and kind; got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(
            f"{where}: key 'name': expected an identifier (letters, digits, _ or -, at most 80); got {name!r}"
        )
    if name in RESERVED_NAMES:
        raise ConfigError(f"{where}: key 'name': {name!r} is reserved (the id column of the label matrix); "
                          "expected another name")
    where = f"{where} (LF {name!r})"
    kind = raw.get("kind")
    body = {k: v for k, v in raw.items() if k not in META_KEYS}
    meta = {k: raw[k] for k in META_KEYS if k in raw}
    try:
        if kind == "prompt":
            return LFSpec(**meta, prompt=body)
        if kind == "python":
            return LFSpec(**meta, condition=PythonLF(**body))
        if kind not in CONDITION_KINDS:
            raise ConfigError(
                f"{where}: key 'kind': expected one of {', '.join(CONDITION_KINDS + ('python', 'prompt'))}; got {kind!r}"
            )
        # validate against the model of this kind only: a union would report every other model's errors
        spec = LFSpec(**meta, condition=_CONDITION.validate_python(body))
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_first_error(exc)}") from None
    if spec.label is None:
        raise ConfigError(f"{where}: key 'label': required for kind {kind!r}")
    return spec


def _first_error(exc: ValidationError) -> str:
    """One error of ``exc`` as ``key 'a.b': what was expected; got what``."""
    errors = exc.errors()
    # an unknown key is usually a typo, and it explains the "missing" error beside it: report it first
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    raw_loc = list(err["loc"])
    if raw_loc and raw_loc[0] == "condition":
        raw_loc = raw_loc[1:]
    parts: list[str] = []
    prev_was_union = True  # the top-level condition is a tagged union too
    for item in raw_loc:
        text = str(item)
        if "[" in text or "(" in text:  # pydantic's union / validator wrappers
            prev_was_union = True
            continue
        if prev_was_union and text in CONDITION_KINDS + ("python",):
            prev_was_union = False
            continue
        # a list index (conditions[i]) or a nested 'condition' holds another tagged union
        prev_was_union = isinstance(item, int) or text == "condition"
        parts.append(text)
    msg = _expected(err, parts)
    m = re.match(r"key '([^']+)': (.*)", msg)
    if m:  # a model validator names its own key, relative to the condition that failed
        parts, msg = [*parts, m.group(1)], m.group(2)
    loc = ".".join(parts)
    return f"key {loc!r}: {msg}" if loc else msg


def _expected(err: Any, parts: list[str]) -> str:
    """pydantic's message of ``err`` phrased as what was expected and what was found."""
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return "unknown key" + did_you_mean(parts[-1] if parts else "", _known_keys())
    if kind == "missing":
        return "missing; expected this key"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s); got {got!r}"
    if kind == "string_too_short":
        return f"expected a non-empty text; got {got!r}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "union_tag_invalid":
        return f"key 'kind': expected one of {', '.join(CONDITION_KINDS)}; got {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return f"key 'kind': missing; expected one of {', '.join(CONDITION_KINDS)}"
    return f"{err['msg']}; got {got!r}"


def _known_keys() -> list[str]:
    keys: set[str] = set(META_KEYS)
    for model in (KeywordsCond, RegexCond, ColumnCond, TextLengthCond, AllOfCond, AnyOfCond, NotCond, PythonLF):
        keys.update(model.model_fields)
    return sorted(keys)


def load_lf_specs(path: str | Path) -> list[LFSpec]:
    """Read and validate an LF spec file (YAML with a top-level ``lfs`` list)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: LF spec file not found")
    data = read_yaml(p)
    if not isinstance(data, dict) or not isinstance(data.get("lfs"), list):
        raise ConfigError(f"{p}: expected a mapping with a list under key 'lfs'")
    unknown = set(data) - {"lfs", "version", "task"}
    if unknown:
        raise ConfigError(f"{p}: unknown key {sorted(unknown)[0]!r}; expected 'lfs'")
    specs = []
    for i, raw in enumerate(data["lfs"]):
        spec = parse_lf(raw, where=f"{p}: lfs[{i}]")
        specs.append(spec.model_copy(update={"source_file": str(p)}))
    return specs


def check_lf_set(specs: list[LFSpec], labels: list[str]) -> None:
    """Check names are unique and every label an LF names is in the label set."""
    seen: dict[str, str] = {}
    for spec in specs:
        where = spec.source_file or "LF spec"
        if spec.name in seen:
            raise ConfigError(f"{where}: LF name {spec.name!r} is used twice; expected unique names")
        seen[spec.name] = where
        if spec.label is not None and spec.label not in labels:
            raise ConfigError(
                f"{where}: LF {spec.name!r}: key 'label': unknown label {spec.label!r}; expected one of {labels}"
            )


def dump_lf_specs(specs: list[LFSpec]) -> str:
    """Render specs back to YAML (as a person would write them)."""
    out = []
    for spec in specs:
        entry: dict[str, Any] = {"name": spec.name}
        if spec.label is not None:
            entry["label"] = spec.label
        if spec.vote != "for":
            entry["vote"] = spec.vote
        if spec.prompt is not None:
            entry.update({"kind": "prompt", **spec.prompt})
        elif spec.condition is not None:
            entry.update(spec.condition.model_dump(exclude_defaults=True))
            entry["kind"] = spec.condition.kind
        if spec.description:
            entry["description"] = spec.description
        if spec.provenance:
            entry["provenance"] = spec.provenance
        out.append(entry)
    return yaml.safe_dump({"lfs": out}, sort_keys=False, allow_unicode=True)
