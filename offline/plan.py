"""`make plan`, the command: what `pulumi preview --policy-pack` would show, with no credentials and no CLI.

    python -m offline.plan [--stack dev ...] [--against build/plan-dev.json | --against-ref main]

Runs the real program under the shared mock engine for each stack, prints the resource tree by
component, counts by type and the stack outputs (secrets masked), asks the real policy pack for its
verdict over gRPC with the stack's `policies/config/<stack>.json`, and writes `build/plan-<stack>.json`.
With `--against`, it also prints what changed since another plan, warning where a change replaces a
stateful resource.

Exit codes: 0 clean or advisory only; 1 a mandatory violation; 2 a config or program error.

The library underneath: offline/plan_model.py (the typed, versioned plan), offline/plan_diff.py
(the diff), offline/plan_render.py (the printout), offline/estimate.py (cost and time).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from offline import labs_check
from offline.across_stacks import clashes
from offline.estimate import estimate, estimate_delta, render_estimate
from offline.ordering import unordered_references
from offline.plan_diff import diff_plans
from offline.plan_model import SCHEMA_VERSION, Plan, PlanFormatError, Violation
from offline.plan_render import (
    render,
    render_diff,
    render_kubernetes,
    render_labs,
    render_summary,
    render_verdict,
    violation_line,
)
from offline.runner import PROJECT, ROOT, ProgramRun, StackFileError, run_stack
from workshop.project import PROGRAM_PACKAGES, load_stack_file
from workshop.project import stacks as project_stacks
from workshop.versions import AS_OF_ENV, plan_date

VERSION_POLICIES = ("eks-supported-version", "eks-version-support-window")


class PlanError(Exception):
    """A config or program error, reported as one message (exit 2)."""


# ---------------------------------------------------------------------------- running the program


def run_program_for(stack: str, root: Path, preview: bool = False, judge: bool = True) -> ProgramRun:
    """Run the program, turning config and program errors, and resources that would race what they
    name (offline/ordering.py), into one PlanError message. `judge=False` plans a base to diff
    against: what it is, races included."""
    run = _run_program(stack, root, preview)
    # In preview computed values are unknown: identities can only be compared once they are known.
    races = [] if preview or not judge else unordered_references(run)
    if races:
        raise PlanError(f"{stack}: resources would be created before what they name:\n  " + "\n  ".join(races))
    return run


def _run_program(stack: str, root: Path, preview: bool) -> ProgramRun:
    from workshop.config import ConfigError

    try:
        return run_stack(stack, root=root, preview=preview)
    except ConfigError as e:
        raise PlanError(invalid_configuration(stack, root, e.problems)) from None
    except FileNotFoundError as e:
        raise PlanError(f"{stack}: {e.strerror}: {e.filename}") from None
    except StackFileError as e:
        raise PlanError(f"{stack}: {e}") from None
    except Exception as e:  # noqa: BLE001 - any program failure becomes one readable line
        frame = traceback.extract_tb(e.__traceback__)[-1]
        raise PlanError(f"{stack}: the program failed: {type(e).__name__}: {e} "
                        f"({Path(frame.filename).name}:{frame.lineno})") from None


class Interrupted(BaseException):
    """SIGTERM (a cancelled CI job), raised like SIGINT's KeyboardInterrupt so that cleanups run."""


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (a cleanup runs to its end), then arrive."""
    held = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


def remove_worktree(tree: Path) -> None:
    """Remove a worktree however far `git worktree add` got: checked out, still locked as
    "initializing" (remove --force twice), or only its administrative entry (deleted by path)."""
    subprocess.run(["git", "worktree", "remove", "--force", "--force", str(tree)], cwd=ROOT, capture_output=True)
    common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=ROOT, capture_output=True, text=True)
    admin = (ROOT / common.stdout.strip() / "worktrees") if common.returncode == 0 else None
    if admin is not None and admin.is_dir():
        for entry in admin.iterdir():
            gitdir = entry / "gitdir"
            if gitdir.exists() and Path(gitdir.read_text().strip()).parent.resolve() == tree.resolve():
                shutil.rmtree(entry, ignore_errors=True)
    shutil.rmtree(tree, ignore_errors=True)


KEY_PATH = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def invalid_configuration(stack: str, root: Path, problems: list[str]) -> str:
    """`dev: invalid stack configuration:` and each problem on its own line, where the file writes its key."""
    return f"{stack}: invalid stack configuration:\n  " + "\n  ".join(located(p, stack, root) for p in problems)


def located(problem: str, stack: str, root: Path) -> str:
    """`eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3` prefixed with where the stack file writes
    that key (`Pulumi.dev.yaml:34:7: …`), the deepest key of its path the file has."""
    key = problem.partition(": ")[0]
    namespace, _, rest = key.partition(":")
    top = re.split(r"[.\[]", rest, maxsplit=1)[0]
    path = (f"{namespace}:{top}", *(m.group(1) if m.group(1) is not None else int(m.group(2))
                                    for m in KEY_PATH.finditer(rest[len(top):])))
    try:
        where = load_stack_file(stack, root).where(path)
    except StackFileError:
        return problem
    return f"{where}: {problem}"


def plan_ref(ref: str, stack: str, out: Path, as_of: dt.date) -> Path | None:
    """Plan `stack` as it is at the merge base of HEAD and `ref`, in a temporary git worktree; None where
    the base has no such stack file (a stack this change adds: everything is new)."""
    base = subprocess.run(["git", "merge-base", "HEAD", ref], cwd=ROOT, capture_output=True, text=True)
    if base.returncode != 0:
        raise PlanError(f"--against-ref {ref}: no merge base with HEAD ({base.stderr.strip()})")
    tmp: Path | None = None
    try:
        with signals_held():  # a signal now would leave the folder behind: it arrives inside the try
            tmp = Path(tempfile.mkdtemp(prefix="plan-base-"))
        tree = tmp / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), base.stdout.strip()],
                       cwd=ROOT, check=True, capture_output=True)
        # The base's own program packages, not the ones already imported (program_tree); recorded as it
        # is, not judged (diff_base).
        if not (tree / f"Pulumi.{stack}.yaml").exists():
            return None
        base_args = argparse.Namespace(preview=False, diff_base=True, out_dir=out, no_policy=True, as_of=as_of,
                                       against=None, against_ref=None, quiet=True, tree=False,
                                       clashes=({}, {}), packs={})
        with program_tree(tree.resolve()):
            _plan(stack, tree.resolve(), base_args)
    except subprocess.CalledProcessError as e:
        raise PlanError(f"--against-ref {ref}: git worktree add failed: {e.stderr.decode().strip()}") from None
    except PlanError as e:
        raise PlanError(f"planning {ref} failed: {e}") from None
    finally:
        with signals_held():  # SIGINT/SIGTERM during the cleanup wait for its end
            if tmp is not None:
                remove_worktree(tmp / "tree")
                shutil.rmtree(tmp, ignore_errors=True)
    return out / f"plan-{stack}.json"


def write_atomically(path: Path, text: str, stack: str) -> None:
    """Write the whole file or none of it: a temporary file beside it, renamed over it. A folder that
    can't be written is this stack's error (the other stacks are still planned)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False,
                                         encoding="utf-8") as f:
            tmp = Path(f.name)
            f.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise PlanError(f"{stack}: can't write {path}: {e.strerror or e}") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append",
                        help="stack to plan (default: every Pulumi.<stack>.yaml)")
    parser.add_argument("--against", type=Path, help="a plan JSON to diff against (one stack)")
    parser.add_argument("--against-ref", help="diff against the plan of the merge base with this git ref")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "build", help="where plan-<stack>.json goes")
    parser.add_argument("--no-policy", action="store_true", help="skip the policy verdict")
    parser.add_argument("--preview", action="store_true",
                        help="as `pulumi preview` of a new stack sees it: computed values unknown")
    parser.add_argument("--tree", action="store_true",
                        help="with --against/--against-ref, also print the full resource tree")
    parser.add_argument("--quiet", action="store_true",
                        help="write the JSON; print only errors and mandatory violations")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=plan_date(),
                        help=f"date EKS support is judged and priced on, YYYY-MM-DD (default: ${AS_OF_ENV} "
                             "or today)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    # Only a base planned for --against-ref (plan_ref) is recorded as it is, not judged.
    parser.set_defaults(diff_base=False)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    known = project_stacks(root)
    stacks = args.stack or known
    unknown = [s for s in stacks if s not in known]
    if unknown:
        parser.error(f"no Pulumi.{unknown[0]}.yaml (stacks here: {', '.join(known)}); create it, e.g. "
                     f"cp Pulumi.dev.yaml Pulumi.{unknown[0]}.yaml")
    if args.against and len(stacks) != 1:
        parser.error("--against compares one stack: add --stack")
    # The program judges support windows on this date too (workshop.versions.plan_date).
    os.environ[AS_OF_ENV] = args.as_of.isoformat()
    workers = plan_workers(stacks, args)
    if workers > 1:
        return plan_in_parallel(list(argv if argv is not None else sys.argv[1:]), stacks, workers)
    args.clashes = clashes(root)
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        with program_tree(root), started_packs(stacks, root, args) as args.packs:
            # Every stack is planned; each failure is reported; the exit code is the worst.
            return max(_plan_stack(stack, root, args) for stack in stacks)
    except (KeyboardInterrupt, Interrupted) as e:
        name = "SIGTERM" if isinstance(e, Interrupted) else "SIGINT"
        print(f"error: interrupted ({name}); nothing left behind", file=sys.stderr, flush=True)
        return 128 + (signal.SIGTERM if isinstance(e, Interrupted) else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)


# Many stacks (a class) are planned by one process per core: the program and its mock engine are
# single-threaded, and a process's start (imports, policy packs) is worth it from this many stacks on.
PARALLEL_FROM = 8
WORKER_ENV = "EKS_WORKSHOP_PLAN_WORKER"


def plan_workers(stacks: list[str], args: argparse.Namespace) -> int:
    """How many processes plan `stacks`: one per core for many stacks, else this one."""
    if os.environ.get(WORKER_ENV) or args.against or args.against_ref or len(stacks) < PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, len(stacks) // (PARALLEL_FROM // 2)))


def shares(stacks: list[str], workers: int) -> list[list[str]]:
    """`stacks` in at most `workers` contiguous shares, so that the printouts keep the stacks' order."""
    size = -(-len(stacks) // workers)
    return [stacks[i:i + size] for i in range(0, len(stacks), size)]


def share_argv(argv: list[str], share: list[str]) -> list[str]:
    """The command's flags but its --stack ones, then one --stack per stack of the share."""
    flags, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--stack":
            skip = True
        elif not arg.startswith("--stack="):
            flags.append(arg)
    return [*flags, *(a for s in share for a in ("--stack", s))]


def plan_in_parallel(argv: list[str], stacks: list[str], workers: int) -> int:
    """`stacks` in `workers` contiguous shares, each planned by a process of its own with the same flags;
    their printouts in the stacks' order, the worst exit code."""
    # From this directory, so that relative paths in the flags (--out-dir) mean what they meant here.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, WORKER_ENV: "1", "PYTHONPATH": path}
    procs = [subprocess.Popen([sys.executable, "-m", "offline.plan", *share_argv(argv, share)],
                              cwd=os.getcwd(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for share in shares(stacks, workers)]
    try:
        outputs = [p.communicate() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
    for out, err in outputs:
        sys.stderr.write(err)
        sys.stdout.write(out)
    sys.stdout.flush()
    return max(p.returncode for p in procs)


@contextlib.contextmanager
def program_tree(root: Path) -> Iterator[None]:
    """While planning another tree (a changed copy, a worktree), import the program's own packages from
    it, the config model and version catalogue included; afterwards put back the modules imported
    before, so that one process can plan several trees (the tests do) without mixing them."""
    if root == ROOT:
        yield
        return

    def program_modules() -> list[str]:
        return [name for name in sys.modules if name.partition(".")[0] in PROGRAM_PACKAGES]

    saved = {name: sys.modules.pop(name) for name in program_modules()}
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for name in program_modules():
            del sys.modules[name]
        sys.modules.update(saved)


def _plan_stack(stack: str, root: Path, args: argparse.Namespace) -> int:
    try:
        return _plan(stack, root, args)
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 2


@contextlib.contextmanager
def started_packs(stacks: list[str], root: Path, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """One policy pack per stack, as the CLI starts one per `preview`, all started at once so that their
    boot overlaps the program runs; closed at the end whatever happens."""
    from offline.analyzer import PolicyPackProcess

    packs: dict[str, Any] = {}
    try:
        if not args.no_policy:
            for stack in stacks:
                try:
                    packs[stack] = PolicyPackProcess(stack=stack, dry_run=args.preview,
                                                     stack_config=load_stack_file(stack, root).config)
                except (StackFileError, OSError, RuntimeError):
                    pass  # the stack's own plan reports it (or starts its pack itself)
        yield packs
    finally:
        for pack in packs.values():
            pack.close()


def with_as_of(policy_config: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The stack's policy config with the plan date for the policies that judge EKS support (a date the
    config names itself wins)."""
    out = dict(policy_config)
    for policy in VERSION_POLICIES:
        entry = out.get(policy, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        out[policy] = {"asOf": as_of.isoformat(), **entry}
    return out


def policy_verdict(run: ProgramRun, as_of: dt.date, preview: bool, started: Any = None) -> list[Violation]:
    """The pack's verdict on a run, the pack started for that stack as the CLI starts it (`started`: one
    started already with this stack's config)."""
    from offline.analyzer import PolicyConfigError, PolicyPackProcess, load_policy_config

    try:
        if started is not None and started.stack_config == run.config:
            pack = started
        else:
            pack = PolicyPackProcess(stack=run.stack, dry_run=preview, stack_config=run.config)
        with pack:
            pack.configure(with_as_of(load_policy_config(run.stack), as_of))
            return pack.analyze_run(run)
    except (PolicyConfigError, RuntimeError) as e:
        raise PlanError(f"{run.stack}: {policy_config_file(run.stack)}: {e}") from None


def policy_config_file(stack: str) -> str:
    from offline.analyzer import policy_config_path

    return os.path.relpath(policy_config_path(stack), ROOT)


def _load_against(against: Path, stack: str) -> Plan:
    try:
        old_plan = Plan.load(against)
    except PlanFormatError as e:
        raise PlanError(f"--against {e}") from None
    if old_plan.stack != stack:
        raise PlanError(f"--against {against}: a plan of {old_plan.project}/{old_plan.stack}, "
                        f"not {old_plan.project}/{stack}")
    return old_plan


def _refuse_with_own_problems(stack: str, root: Path, across: list[str]) -> None:
    """A stack that clashes with another is refused; its own config problems are named with the clash (the
    config is read, the program not run: nothing of it would be planned)."""
    from workshop.config import ConfigError, parse

    own = ""
    try:
        parse(load_stack_file(stack, root).config)
    except ConfigError as e:
        own = invalid_configuration(stack, root, e.problems) + "\n"
    except StackFileError as e:
        own = f"{stack}: {e}\n"
    raise PlanError(f"{own}{stack}: " + "; ".join(across))


def _plan(stack: str, root: Path, args: argparse.Namespace) -> int:
    # A file given to compare with is read first: a bad one fails before anything runs.
    given = _load_against(args.against, stack) if args.against is not None else None
    clash_errors, clash_warnings = args.clashes
    if stack in clash_errors:  # the stack's own problems too, so that one run reports them all
        _refuse_with_own_problems(stack, root, clash_errors[stack])
    against, old_plan = args.against, given
    if args.against_ref:  # the base first: a ref that can't be planned fails before this tree runs
        against = plan_ref(args.against_ref, stack, args.out_dir / "base", args.as_of)
        # A stack the change adds is diffed against nothing: all of it is new.
        old_plan = (_load_against(against, stack) if against is not None else
                    Plan(schema_version=SCHEMA_VERSION, project=PROJECT, stack=stack, resources=[], outputs={},
                         violations=[]))
        against = (f"{args.against_ref} (its plan: {os.path.relpath(against)})" if against is not None
                   else f"{args.against_ref} (no Pulumi.{stack}.yaml there: a new stack)")
    run = run_program_for(stack, root, args.preview, judge=not args.diff_base)
    violations, config_file = [], None
    if not args.no_policy:
        config_file = policy_config_file(stack)
        violations = policy_verdict(run, args.as_of, args.preview, args.packs.get(stack))
    plan = Plan.of_run(run, violations)
    if not args.diff_base:  # a base tree planned for a diff may predate the catalogue
        from workshop.config import parse

        cfg = parse(run.config, args.as_of)
        plan = plan.with_summaries(cfg, args.as_of)
        # The labs run from the IDE: a stack without it says nothing about them. A preview can't judge them:
        # the names and ARNs the labs look up are unknown until apply.
        if cfg.ide.enabled and not args.preview:
            plan = plan.model_copy(update={"labs": labs_check.verdict(plan, cfg.cluster.name)})
        plan = plan.model_copy(update={"warnings": [*(plan.warnings or []), *clash_warnings.get(stack, [])]})
    region = str(run.config.get("aws:region", ""))
    planned_estimate = estimate(plan, region, args.as_of)
    plan = plan.model_copy(update={"estimate": planned_estimate})
    if old_plan is not None:
        if old_plan.project != plan.project:
            raise PlanError(f"--against {against}: a plan of {old_plan.project}/{old_plan.stack}, "
                            f"not {plan.project}/{plan.stack}")
        diff = diff_plans(old_plan, plan)
        plan = plan.model_copy(update={"diff": diff.model_copy(
            update={"estimate": estimate_delta(old_plan.estimate, planned_estimate)})})
    path = args.out_dir / f"plan-{stack}.json"
    write_atomically(path, plan.dumps(), stack)
    mandatory = [v for v in plan.violations if v.enforcement == "mandatory"]
    refusals = plan.diff.refusals if plan.diff else []
    for refusal in refusals:
        print(f"error: {stack}: refused: {refusal}", file=sys.stderr, flush=True)
    if args.quiet:
        for v in mandatory:
            print(f"{stack}: mandatory {violation_line(v)}", file=sys.stderr)
    else:
        lines = render_summary(plan, config_file)
        if plan.diff:
            # A review reads the changes first; the whole tree of what the stack is, only when asked.
            lines += render_diff(plan.diff, str(against))[1:] + [""]
        if not plan.diff or args.tree:
            lines += render(plan, config_file)
        else:
            lines += render_verdict(plan, config_file)
        lines += render_kubernetes(plan.kubernetes)
        lines += render_labs(plan.labs)
        lines += [""] * bool(plan.warnings) + [f"WARNING: {plan.stack}: {w}" for w in plan.warnings or []]
        lines += render_estimate(planned_estimate)
        if plan.diff and not args.tree:
            lines += ["", "(the full resource tree: add --tree)"]
        print("\n".join(lines + ["", f"Plan written to {os.path.relpath(path)}", ""]), flush=True)
    return 2 if refusals else 1 if mandatory else 0


if __name__ == "__main__":
    raise SystemExit(main())
