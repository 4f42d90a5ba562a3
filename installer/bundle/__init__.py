"""The offline bundle: build it from a release BOM, verify it, diff two of them.

The engine: no click, rich or textual here. Long work reports `BundleEvent`s to a callback;
results are typed (`BuildResult`, `VerifyResult`, `BundleDiff`); failures are `BundleError`s.
"""

from installer.bundle.build import BuildOptions, BuildResult, build
from installer.bundle.diff import BundleDiff, Change, diff
from installer.bundle.model import (
    ArtifactMissed,
    BundleError,
    BundleEvent,
    Manifest,
    MissingArtifact,
    StepFinished,
    StepProgress,
    StepStarted,
)
from installer.bundle.verify import Problem, VerifyResult, verify

__all__ = [
    "ArtifactMissed",
    "BuildOptions",
    "BuildResult",
    "BundleDiff",
    "BundleError",
    "BundleEvent",
    "Change",
    "Manifest",
    "MissingArtifact",
    "Problem",
    "StepFinished",
    "StepProgress",
    "StepStarted",
    "VerifyResult",
    "build",
    "diff",
    "verify",
]
