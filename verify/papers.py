"""The papers the checklist checks, one entry each: key, authors, title, venue, year, and the arXiv id with the
version whose statements the claims check (papers change their statements between versions: Flavors of Margin
v1 proves a generalized-Bregman statement, v3 a KKT one).

A key is the first author's surname and the year, lower case, with a letter when one surname-year names two
papers (``ji2021a``, ``ji2021b``). Claims cite keys (`verify.claim.claim`); `--paper`, the report's bibliography
and ``python -m verify papers`` read this table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

PREPRINT = "arXiv preprint"
"""The venue of a paper that has appeared only on arXiv."""


@dataclass(frozen=True)
class Paper:
    key: str
    authors: tuple[str, ...]
    title: str
    venue: str
    year: int
    arxiv: str | None
    """The arXiv id with the version whose statements the claims check, e.g. "2410.22069v3"; None if the
    paper has no arXiv version."""

    @property
    def short_authors(self) -> str:
        """"Surname", "Surname & Surname", "Surname, Surname & Surname" (up to four), else "Surname et al."."""
        surnames = [a.split()[-1] for a in self.authors]
        if len(surnames) > 4:
            return f"{surnames[0]} et al."
        return " & ".join([", ".join(surnames[:-1]), surnames[-1]]) if len(surnames) > 1 else surnames[0]

    @property
    def citation(self) -> str:
        """"Surname, Surname & Surname year (venue, arXiv:id)", as a claim's line in the report cites it."""
        where = ", ".join(part for part in (None if self.venue == PREPRINT else self.venue,
                                            self.arxiv and f"arXiv:{self.arxiv}") if part)
        return f"{self.short_authors} {self.year} ({where})"

    @property
    def reference(self) -> str:
        """The bibliography entry: "Authors. Title. Venue. arXiv:id." """
        where = "" if self.venue == PREPRINT else f" {self.venue}."
        arxiv = f" arXiv:{self.arxiv}." if self.arxiv else ""
        return f"{', '.join(self.authors)}. {self.title}.{where}{arxiv}"


PAPERS: dict[str, Paper] = {p.key: p for p in (
    Paper("soudry2018", ("Daniel Soudry", "Elad Hoffer", "Mor Shpigel Nacson", "Suriya Gunasekar", "Nathan Srebro"),
          "The Implicit Bias of Gradient Descent on Separable Data", "JMLR", 2018, "1710.10345v5"),
    Paper("gunasekar2018", ("Suriya Gunasekar", "Jason Lee", "Daniel Soudry", "Nathan Srebro"),
          "Characterizing Implicit Bias in Terms of Optimization Geometry", "ICML 2018", 2018, "1802.08246"),
    Paper("nacson2019", ("Mor Shpigel Nacson", "Jason D. Lee", "Suriya Gunasekar", "Pedro H. P. Savarese",
          "Nathan Srebro", "Daniel Soudry"), "Convergence of Gradient Descent on Separable Data", "AISTATS 2019",
          2019, "1803.01905v3"),
    Paper("ji2021a", ("Ziwei Ji", "Matus Telgarsky"), "Characterizing the implicit bias via a primal-dual analysis",
          "ALT 2021", 2021, "1906.04540v2"),
    Paper("ji2021b", ("Ziwei Ji", "Nathan Srebro", "Matus Telgarsky"),
          "Fast Margin Maximization via Dual Acceleration", "ICML 2021", 2021, "2107.00595v2"),
    Paper("fan2025", ("Chen Fan", "Mark Schmidt", "Christos Thrampoulidis"),
          "Implicit Bias of Spectral Descent and Muon on Multiclass Separable Data", "NeurIPS 2025", 2025,
          "2502.04664v3"),
    Paper("chen2023a", ("Xiangning Chen", "Chen Liang", "Da Huang", "Esteban Real", "Kaiyuan Wang", "Yao Liu",
          "Hieu Pham", "Xuanyi Dong", "Thang Luong", "Cho-Jui Hsieh", "Yifeng Lu", "Quoc V. Le"),
          "Symbolic Discovery of Optimization Algorithms", "NeurIPS 2023", 2023, "2302.06675v4"),
    Paper("chen2023b", ("Lizhang Chen", "Bo Liu", "Kaizhao Liang", "Qiang Liu"),
          "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts", "ICLR 2024", 2023, "2310.05898"),
    Paper("xie2024", ("Shuo Xie", "Zhiyuan Li"), "Implicit Bias of AdamW: ℓ∞ Norm Constrained Optimization",
          "ICML 2024", 2024, "2404.04454v1"),
    Paper("chen2025", ("Lizhang Chen", "Jonathan Li", "Qiang Liu"),
          "Muon Optimizes Under Spectral Norm Constraints", PREPRINT, 2025, "2506.15054v2"),
    Paper("zhang2024", ("Chenyang Zhang", "Difan Zou", "Yuan Cao"), "The Implicit Bias of Adam on Separable Data",
          "NeurIPS 2024", 2024, "2406.10650v1"),
    Paper("wang2024", ("Mingze Wang", "Zeping Min", "Lei Wu"),
          "Achieving Margin Maximization Exponentially Fast via Progressive Norm Rescaling", "ICML 2024", 2024,
          "2311.14387v4"),
    Paper("tsilivis2024", ("Nikolaos Tsilivis", "Gal Vardi", "Julia Kempe"),
          "Flavors of Margin: Implicit Bias of Steepest Descent in Homogeneous Neural Networks", "ICLR 2025", 2024,
          "2410.22069v3"),
    Paper("ji2020", ("Ziwei Ji", "Matus Telgarsky"), "Directional convergence and alignment in deep learning",
          "NeurIPS 2020", 2020, "2006.06657v2"),
    Paper("lyu2020", ("Kaifeng Lyu", "Jian Li"),
          "Gradient Descent Maximizes the Margin of Homogeneous Neural Networks", "ICLR 2020", 2020, "1906.05890"),
    Paper("xie2026", ("Shengping Xie", "Zekun Wu", "Quan Chen", "Kaixu Tang"),
          "Towards The Implicit Bias on Multiclass Separable Data Under Norm Constraints", PREPRINT, 2026,
          "2603.22824v1"),
    Paper("barrett2020", ("David G. T. Barrett", "Benoit Dherin"), "Implicit Gradient Regularization", "ICLR 2021",
          2020, "2009.11162"),
    Paper("lyu2021", ("Kaifeng Lyu", "Zhiyuan Li", "Runzhe Wang", "Sanjeev Arora"),
          "Gradient Descent on Two-layer Nets: Margin Maximization and Simplicity Bias", "NeurIPS 2021", 2021,
          "2110.13905"),
    Paper("frei2022", ("Spencer Frei", "Gal Vardi", "Peter L. Bartlett", "Nathan Srebro", "Wei Hu"),
          "Implicit Bias in Leaky ReLU Networks Trained on High-Dimensional Data", "ICLR 2023", 2022, "2210.07082"),
    Paper("ji2018", ("Ziwei Ji", "Matus Telgarsky"), "Gradient Descent Aligns the Layers of Deep Linear Networks",
          "ICLR 2019", 2018, "1810.02032v2"),
    Paper("gunasekar2018b", ("Suriya Gunasekar", "Jason D. Lee", "Daniel Soudry", "Nathan Srebro"),
          "Implicit Bias of Gradient Descent on Linear Convolutional Networks", "NeurIPS 2018", 2018, "1806.00468v2"),
    Paper("yun2020", ("Chulhee Yun", "Shankar Krishnan", "Hossein Mobahi"),
          "A Unifying View on Implicit Bias in Training Linear Neural Networks", "ICLR 2021", 2020, "2010.02501v4"),
    Paper("pesme2021", ("Scott Pesme", "Loucas Pillaud-Vivien", "Nicolas Flammarion"),
          "Implicit Bias of SGD for Diagonal Linear Networks: a Provable Benefit of Stochasticity", "NeurIPS 2021",
          2021, "2106.09524"),
    Paper("moroshko2020", ("Edward Moroshko", "Suriya Gunasekar", "Blake Woodworth", "Jason D. Lee", "Nathan Srebro",
          "Daniel Soudry"), "Implicit Bias in Deep Linear Classification: Initialization Scale vs Training Accuracy",
          "NeurIPS 2020", 2020, "2007.06738"),
    Paper("islamov2026", ("Rustem Islamov", "Michael Crawshaw", "Jeremy Cohen", "Robert Gower"),
          "Non-Euclidean Gradient Descent Operates at the Edge of Stability", PREPRINT, 2026, "2603.05002v1"),
    Paper("arora2019", ("Sanjeev Arora", "Nadav Cohen", "Wei Hu", "Yuping Luo"),
          "Implicit Regularization in Deep Matrix Factorization", "NeurIPS 2019", 2019, "1905.13655v3"),
    Paper("razin2020", ("Noam Razin", "Nadav Cohen"),
          "Implicit Regularization in Deep Learning May Not Be Explainable by Norms", "NeurIPS 2020", 2020,
          "2005.06398v2"),
    Paper("haochen2021", ("Jeff Z. HaoChen", "Colin Wei", "Jason D. Lee", "Tengyu Ma"),
          "Shape Matters: Understanding the Implicit Bias of the Noise Covariance", "COLT 2021", 2021,
          "2006.08680v2"),
    Paper("woodworth2020", ("Blake Woodworth", "Suriya Gunasekar", "Jason D. Lee", "Edward Moroshko",
          "Pedro Savarese", "Itay Golan", "Daniel Soudry", "Nathan Srebro"),
          "Kernel and Rich Regimes in Overparametrized Models", "COLT 2020", 2020, "2002.09277v3"),
    Paper("cai2024", ("Yuhang Cai", "Jingfeng Wu", "Song Mei", "Michael Lindsey", "Peter L. Bartlett"),
          "Large Stepsize Gradient Descent for Non-Homogeneous Two-Layer Networks: Margin Improvement and "
          "Fast Optimization",
          "NeurIPS 2024", 2024, "2406.08654v2"),
    Paper("baek2025", ("Beomhan Baek", "Minhak Song", "Chulhee Yun"),
          "Implicit Bias of Per-sample Adam on Separable Data: Departure from the Full-batch Regime", "ICLR 2026",
          2025, "2510.26303v3"),
    Paper("li2026", ("Jichu Li", "Xuan Tang", "Difan Zou"),
          "The Implicit Bias of Steepest Descent with Mini-batch Stochastic Gradient", "ICML 2026", 2026,
          "2602.11557v2"),
    Paper("gronich2026", ("Eitan Gronich", "Gal Vardi"),
          "The Implicit Bias of Adam and Muon on Smooth Homogeneous Neural Networks", PREPRINT, 2026, "2602.16340v3"),
    Paper("ziyin2024", ("Liu Ziyin", "Mingze Wang", "Hongchao Li", "Lei Wu"),
          "Parameter Symmetry and Noise Equilibrium of Stochastic Gradient Descent", "NeurIPS 2024", 2024,
          "2402.07193v3"),
)}
"""Years are the first arXiv version's (the key's year); the venue says where the paper appeared. Versions are the
latest found (arXiv listings, proceedings); gunasekar2018, lyu2020, lyu2021, frei2022 and barrett2020 are not pinned
to one."""


def register(paper: Paper) -> Paper:
    """Add a paper a researcher's claims file cites (`python -m verify --claims`); a key already taken by another
    paper is an error."""
    known = PAPERS.get(paper.key)
    if known is not None and known != paper:
        raise ValueError(f"paper key {paper.key!r} is taken by {known.citation}: choose another key")
    PAPERS[paper.key] = paper
    return paper


def get(key: str) -> Paper:
    try:
        return PAPERS[key]
    except KeyError:
        raise KeyError(f"no paper {key!r} in verify.papers: {near(key)}") from None


def near(key: str) -> str:
    """The registry's keys nearest to an unknown one, as a sentence."""
    close = difflib.get_close_matches(key, list(PAPERS), n=4, cutoff=0.5)
    return f"near matches: {', '.join(close)}" if close else f"known: {', '.join(sorted(PAPERS))}"


def table(claims) -> str:
    """`python -m verify papers`: one row per paper — key, authors, year, arXiv id, and the claims citing it."""
    cited: dict[str, list[str]] = {}
    for c in claims:
        for key in c.papers:
            cited.setdefault(key, []).append(c.id)
    rows = [(p.key, p.short_authors, str(p.year), p.arxiv or "—", str(len(cited.get(p.key, ()))))
            for p in sorted(PAPERS.values(), key=lambda p: (p.year, p.key))]
    head = ("key", "authors", "year", "arXiv", "claims")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), *(line(r) for r in rows)])
