"""The completion scripts (tools/cli/completion/) against what `crosswalk
help` prints: every command, every action of org/control/evidence/scope
and every option each one's help names must be completed, by bash (run
for real: the script's functions are called as bash's completion calls
them) and by zsh (read: the arm of each command must name each option;
zsh itself is not needed)."""
import os
import re
import subprocess
import unittest

from clitest import CliCase

HERE = os.path.dirname(os.path.abspath(__file__))
COMPLETION = os.path.join(HERE, "..", "..", "tools", "cli", "completion")
BASH = os.path.join(COMPLETION, "crosswalk.bash")
ZSH = os.path.join(COMPLETION, "_crosswalk")
NOUNS = ("org", "control", "evidence", "scope")


def options(text):
    """The options a help text names: --words and -o."""
    found = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-o)(?![\w-])", text))
    return found - {"--"}


class Completion(CliCase):
    def help(self, *args):
        return self.ok(*args, server=False)

    def commands(self):
        text = self.help("--help")
        block = text.split("\nCommands:\n")[1].split("\n\n")[0]
        return [m.group(1) for m in re.finditer(r"^  ([a-z]+)", block, re.M)]

    def actions(self, noun):
        text = self.help(noun, "--help")
        return sorted(set(re.findall(rf"^  {noun} ([a-z]+)", text, re.M)))

    def bash(self, script):
        r = subprocess.run(["bash", "-c", f"source {BASH}\n{script}"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    def complete(self, *words):
        """What bash completes for the last of words (crosswalk first)."""
        arr = " ".join(f"'{w}'" for w in words)
        return self.bash(f"COMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; _crosswalk; "
                         "printf '%s\\n' \"${COMPREPLY[@]}\"")

    def every_help(self):
        """(command, action or '', its help text) for every command."""
        for cmd in self.commands():
            if cmd in NOUNS:
                for action in self.actions(cmd):
                    yield cmd, action, self.help("help", cmd, action)
            else:
                yield cmd, "", self.help(cmd, "--help")

    def test_commands_and_global_options(self):
        cmds = self.commands()
        self.assertEqual(len(cmds), 24, cmds)
        self.assertEqual(sorted(self.complete("crosswalk", "")), sorted(cmds))
        self.assertEqual(self.complete("crosswalk", "cov"), ["coverage"])
        main = options(self.help("--help"))
        glob = {"--server", "--token-file", "--color", "--no-pager", "--version", "--help"}
        self.assertTrue(glob <= main, main)
        self.assertEqual(set(self.complete("crosswalk", "--")), glob)
        self.assertEqual(sorted(self.complete("crosswalk", "--color", "")),
                         ["always", "auto", "never"])
        with open(ZSH) as f:
            zsh = f.read()
        for c in cmds:
            self.assertIn(f"'{c}:", zsh, c)
        for o in glob:
            self.assertIn(f"'{o}[", zsh, o)

    def test_actions(self):
        for noun in NOUNS:
            acts = self.actions(noun)
            self.assertEqual(acts, ["delete", "get", "list", "put"], noun)
            self.assertEqual(sorted(self.complete("crosswalk", noun, "")),
                             sorted(["--help", *acts]))
            self.assertEqual(self.complete("crosswalk", "--no-pager", noun, "p"), ["put"])

    def test_every_option_of_every_command(self):
        with open(ZSH) as f:
            zsh = f.read()
        checked = 0
        for cmd, action, text in self.every_help():
            want = options(text)
            with self.subTest(command=cmd, action=action):
                # bash: what it offers after the command (and action)
                words = ["crosswalk", cmd] + ([action] if action else []) + ["--"]
                got = set(self.complete(*words))
                missing = sorted(o for o in want if o.startswith("--") and o not in got)
                self.assertEqual(missing, [], f"bash does not complete {missing}")
                # zsh: the arm of this command names each option
                key = f'"{cmd} {action}")' if action else f'"{cmd} "*)'
                arm = next((a for a in zsh.split(";;") if key in a
                            or (action and re.search(rf'"{cmd} {action}"[|)]', a))), None)
                if arm is None:  # scope list and get share an arm
                    arm = next(a for a in zsh.split(";;") if f'"{cmd} {action}"' in a)
                uses_out = "$out" in arm
                for o in want:
                    if o in ("--format", "--output", "-o") and uses_out and cmd != "export":
                        continue
                    self.assertIn(o.lstrip("-"), arm, f"zsh does not complete {o}")
                checked += len(want)
        self.assertGreater(checked, 60)

    def test_values_and_files(self):
        self.assertEqual(sorted(self.complete("crosswalk", "gap", "--format", "")),
                         ["csv", "html", "json", "md", "table"])
        self.assertEqual(sorted(self.complete("crosswalk", "export", "--format", "")),
                         ["csv", "oscal"])
        self.assertEqual(self.complete("crosswalk", "control", "put", "--status", "pl"),
                         ["planned"])
        self.assertEqual(sorted(self.complete("crosswalk", "evidence", "put", "--result", "")),
                         ["fail", "pass", "unknown"])
        # a file where a file is taken
        here = os.path.basename(__file__)
        got = subprocess.run(["bash", "-c", f"cd {HERE} && source {BASH} && COMP_WORDS=(crosswalk "
                              f"load test_comp); COMP_CWORD=2; _crosswalk; "
                              "printf '%s\\n' \"${COMPREPLY[@]}\""],
                             capture_output=True, text=True, timeout=30).stdout.split()
        self.assertIn(here, got)


if __name__ == "__main__":
    unittest.main()
