"""arXiv subject names as Dublin Core gives them, mapped to category codes.

``oai_dc`` records name subjects ("Computer Science - Machine Learning")
instead of giving codes; this table covers the Computer Science archive
(the default harvest set) and its usual neighbours. Other subjects are
dropped: use the ``arXiv`` or ``arXivRaw`` format for full categories.
"""

from __future__ import annotations

_CS = {
    "Artificial Intelligence": "cs.AI", "Hardware Architecture": "cs.AR", "Computational Complexity": "cs.CC",
    "Computational Engineering, Finance, and Science": "cs.CE", "Computational Geometry": "cs.CG",
    "Computation and Language": "cs.CL", "Cryptography and Security": "cs.CR",
    "Computer Vision and Pattern Recognition": "cs.CV", "Computers and Society": "cs.CY", "Databases": "cs.DB",
    "Distributed, Parallel, and Cluster Computing": "cs.DC", "Digital Libraries": "cs.DL",
    "Discrete Mathematics": "cs.DM", "Data Structures and Algorithms": "cs.DS", "Emerging Technologies": "cs.ET",
    "Formal Languages and Automata Theory": "cs.FL", "General Literature": "cs.GL", "Graphics": "cs.GR",
    "Computer Science and Game Theory": "cs.GT", "Human-Computer Interaction": "cs.HC",
    "Information Retrieval": "cs.IR", "Information Theory": "cs.IT", "Machine Learning": "cs.LG",
    "Logic in Computer Science": "cs.LO", "Multiagent Systems": "cs.MA", "Multimedia": "cs.MM",
    "Mathematical Software": "cs.MS", "Numerical Analysis": "cs.NA", "Neural and Evolutionary Computing": "cs.NE",
    "Networking and Internet Architecture": "cs.NI", "Other Computer Science": "cs.OH", "Operating Systems": "cs.OS",
    "Performance": "cs.PF", "Programming Languages": "cs.PL", "Robotics": "cs.RO", "Symbolic Computation": "cs.SC",
    "Sound": "cs.SD", "Software Engineering": "cs.SE", "Social and Information Networks": "cs.SI",
    "Systems and Control": "cs.SY",
}
_OTHERS = {
    "Statistics - Machine Learning": "stat.ML", "Statistics - Methodology": "stat.ME",
    "Statistics - Applications": "stat.AP", "Statistics - Computation": "stat.CO",
    "Mathematics - Numerical Analysis": "math.NA", "Mathematics - Optimization and Control": "math.OC",
    "Mathematics - Information Theory": "math.IT", "Mathematics - Combinatorics": "math.CO",
    "Mathematics - Logic": "math.LO", "Mathematics - Probability": "math.PR",
    "Electrical Engineering and Systems Science - Image and Video Processing": "eess.IV",
    "Electrical Engineering and Systems Science - Audio and Speech Processing": "eess.AS",
    "Electrical Engineering and Systems Science - Signal Processing": "eess.SP",
    "Electrical Engineering and Systems Science - Systems and Control": "eess.SY",
    "Quantitative Biology - Neurons and Cognition": "q-bio.NC", "Physics - Physics and Society": "physics.soc-ph",
}
SUBJECTS = {**{f"Computer Science - {name}": code for name, code in _CS.items()}, **_OTHERS}


def subject_category(subject: str) -> str | None:
    """The category code of a Dublin Core subject name, or None when not in the table."""
    return SUBJECTS.get(" ".join(subject.split()))
