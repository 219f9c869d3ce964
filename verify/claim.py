"""A claim as an object: which papers (and which version of their statement) it checks, the lemmas it stands on,
the statement, the seams a mutant may replace, and the mutants that must break it.

    @claim(id="nucgd.nuclear_max_margin_and_rank", papers=("xie2026",), lemmas=["lmo.nuclear"],
           statement="NucGD tends to the nuclear-norm max-margin solution …",
           seams={"nucgd": steepest("nuclear")},
           mutants=[Mutant("sign descent posing as NucGD", "the claim's NucGD is sign descent", kind=OPTIMIZER,
                           caught_by="rival entry_linf", seams={"nucgd": steepest("entry_linf")})])
    def test_nucgd_tends_to_the_nuclear_max_margin(scale, evidence, seams):
        run = best_step(evidence, seams.nucgd, …)       # (a sketch: the checklist's claim names its seam `steepest`)

The body is what pytest runs (the `scale`, `evidence` and `seams` fixtures are the plugin's); the `Claim` is what
the catalog, the mutation table and the report read. A mutant replaces a seam the claim declares, or patches the
product or verifier object it names (`verify.mutants`); no module imports a claim module: the registry loads
them by path (`load`), as pytest does.

A mutant's `kind` says what it breaks: an optimizer or the data (the claim must end FAIL) or the verifier itself
(a looser tolerance, a skipped check, a wrong metric: the claim must not end PASS).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

import pytest

from verify import papers as paper_registry

OPTIMIZER, DATA, VERIFIER = "optimizer", "data", "verifier"
KINDS = (OPTIMIZER, DATA, VERIFIER)
CLAIMS_PACKAGE = "verify.claims"


@dataclass(frozen=True)
class Mutant:
    """A deliberately wrong implementation that must break its claim, caught by the check `caught_by` names."""

    name: str
    what: str
    """The wrong implementation, in words."""
    kind: str
    """OPTIMIZER or DATA (its claim must end FAIL) or VERIFIER (its claim must not end PASS)."""
    caught_by: str
    """A piece of the reason that names the check that catches it."""
    seams: Mapping[str, Any] = field(default_factory=dict)
    """Replacements for seams the claim declares."""
    patch: Callable | None = None
    """patch(monkeypatch): replaces a product or verifier object (an LMO, an optimizer's method, a metric)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """The parametrization of the claim it runs (e.g. {"signed": False})."""
    changes_references: bool = False
    """It changes how certified references are computed or judged: its claim runs with the persistent store off,
    so that no stored reference stands in for the mutated code."""
    fails: bool | None = None
    """Whether it must make its claim FAIL (not merely not PASS): always for an optimizer or data mutant; for a
    verifier mutant where a check catches it as positive evidence (a wrong metric, a loose certificate), so that a
    regression to INCONCLUSIVE is seen. Default: True unless the kind is VERIFIER."""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"mutant {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}")
        if not self.seams and self.patch is None:
            raise ValueError(f"mutant {self.name!r} replaces no seam and patches nothing")
        if self.fails is False and self.kind != VERIFIER:
            raise ValueError(f"mutant {self.name!r}: an {self.kind} mutant must make its claim FAIL")

    @property
    def must(self) -> str:
        """The verdict it must cause: "FAIL", or "not PASS" for a verifier mutant that may leave its claim
        undecided (a looser tolerance, a skipped check)."""
        return "FAIL" if self.fails or (self.fails is None and self.kind != VERIFIER) else "not PASS"

    def killed(self, verdict: str) -> bool:
        """Whether `verdict` is what this mutant must cause (`must`)."""
        return verdict == "FAIL" if self.must == "FAIL" else verdict != "PASS"


class Seams:
    """A claim's seams by attribute (`seams.nucgd`), with a mutant's replacements over the declared ones."""

    def __init__(self, declared: Mapping[str, Any], replaced: Mapping[str, Any] | None = None):
        unknown = set(replaced or {}) - set(declared)
        if unknown:
            raise KeyError(f"no such seam {sorted(unknown)}; the claim declares {sorted(declared)}")
        self._values = {**declared, **(replaced or {})}

    def __getattr__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"the claim declares no seam {name!r} (it has {sorted(self._values)})") from None


@dataclass(frozen=True)
class Claim:
    id: str
    papers: tuple[str, ...]
    """Keys of `verify.papers.PAPERS`; empty for a finding measured here with no theorem behind it."""
    lemmas: tuple[str, ...]
    statement: str
    body: Callable = field(repr=False)
    seams: Mapping[str, Any] = field(default_factory=dict, repr=False)
    mutants: tuple[Mutant, ...] = ()

    @property
    def citation(self) -> str:
        """The papers as the report cites them, e.g. "Xie, Wu, Chen, Tang 2026 (arXiv:2603.22824v1)"."""
        return "; ".join(paper_registry.get(key).citation for key in self.papers) or "measured here (no theorem)"

    @property
    def scaled(self) -> bool:
        """Whether the body takes the `scale` fixture (its sizes differ at paper scale)."""
        return "scale" in inspect.signature(self.body).parameters

    @property
    def origin(self) -> str:
        return f"{self.body.__module__}:{self.body.__qualname__}"

    def run(self, evidence, scale, mutant: Mutant | None = None, **params):
        """The body on `evidence`, with `mutant`'s seams over the declared ones (its patch is the caller's)."""
        given = {"evidence": evidence, "scale": scale,
                 "seams": Seams(self.seams, mutant.seams if mutant else None), **params}
        wanted = inspect.signature(self.body).parameters
        return self.body(**{k: v for k, v in given.items() if k in wanted})


_REGISTRY: dict[str, Claim] = {}


class ClaimDeclarationError(ValueError):
    """A claim that cites an unknown paper, reuses another claim's id, or declares a bad mutant (an unknown lemma id
    is refused when pytest collects the claim: `verify.plugin.claim_metadata`)."""


def claim(*, id: str, papers: tuple[str, ...] | list[str], lemmas, statement: str,
          seams: Mapping[str, Any] | None = None, mutants=()) -> Callable:
    """Declare the decorated function a claim (see the module docstring). Unknown paper keys, a duplicate id or a
    mutant that replaces an undeclared seam are errors when the module is imported, i.e. at collection."""

    def declare(body: Callable) -> Callable:
        unknown = [key for key in papers if key not in paper_registry.PAPERS]
        if unknown:
            raise ClaimDeclarationError(f"claim {id!r} cites unknown paper keys {unknown}: "
                                        f"{paper_registry.near(unknown[0])}")
        arguments = set(inspect.signature(body).parameters) - {"evidence", "scale", "seams"}
        for mutant in mutants:
            undeclared = set(mutant.seams) - set(seams or {})
            if undeclared:
                raise ClaimDeclarationError(f"claim {id!r}: mutant {mutant.name!r} replaces undeclared seams "
                                            f"{sorted(undeclared)}")
            if set(mutant.params) != arguments:
                raise ClaimDeclarationError(f"claim {id!r}: mutant {mutant.name!r} must name its case with params "
                                            f"for {sorted(arguments)}; it gives {sorted(mutant.params)}")
        declared = Claim(id, tuple(papers), tuple(lemmas), statement, body, MappingProxyType(dict(seams or {})),
                         tuple(mutants))
        earlier = _REGISTRY.get(id)
        if earlier is not None and _source(earlier.body) != _source(body):
            raise ClaimDeclarationError(f"claim id {id!r} is declared twice: {earlier.origin} and {declared.origin}")
        _REGISTRY[id] = declared
        body.claim = declared
        return pytest.mark.claim(id=id, paper=declared.citation, papers=list(papers), lemmas=list(lemmas),
                                 statement=statement)(body)

    return declare


def _source(body: Callable) -> tuple[str, str]:
    """Where a body is defined: a module imported twice (by pytest, and by `load`) declares the same claim."""
    return inspect.getsourcefile(body) or "", body.__qualname__


def load(paths=()) -> list[Claim]:
    """Every claim of the checklist (the modules of `verify.claims`) and of the claims files at `paths` (a .py
    file or an importable module name), in declaration order."""
    package = importlib.import_module(CLAIMS_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{CLAIMS_PACKAGE}.{module.name}")
    for path in paths:
        load_file(path)
    return list(_REGISTRY.values())


def declared_in(path) -> list[Claim]:
    """The claims a claims file (or module) declares, loading it if needed."""
    load_file(path)
    where = source_file(path)
    return [c for c in _REGISTRY.values() if Path(inspect.getsourcefile(c.body) or "").resolve() == where]


def source_file(path) -> Path:
    """The file of a claims file given by path or by module name."""
    text = str(path)
    if text.endswith(".py"):
        return Path(text).expanduser().resolve()
    spec = importlib.util.find_spec(text)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no claims module {text!r}")
    return Path(spec.origin).resolve()


def load_file(path) -> None:
    """Import a researcher's claims file by path (or a module by name) once; its `@claim`s (and any papers it
    registers) register themselves."""
    text = str(path)
    if not text.endswith(".py"):
        importlib.import_module(text)
        return
    file = Path(text).expanduser().resolve()
    if not file.is_file():
        raise FileNotFoundError(f"no claims file {file}")
    if any(getattr(m, "__file__", None) and Path(m.__file__).resolve() == file for m in list(sys.modules.values())):
        return  # pytest (or an earlier load) imported it already
    spec = importlib.util.spec_from_file_location(f"verify_external_claims.{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
