"""The sweep helper: files written, jobs returned, names checked before anything is written."""

import json
import os
import tempfile
import unittest

import _support  # noqa: F401  (puts the package on sys.path)
import distribute_config as dc


class SweepTests(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = os.path.realpath(self.tmp.name)
        self.script = dc.file(os.path.join(self.root, "run.py"))

    def test_writes_one_params_file_per_job(self) -> None:
        params = [{"re": re, "mesh": "fine"} for re in range(12)]
        jobs = dc.sweep(params, self.script, os.path.join(self.root, "params"))
        self.assertEqual([j.name for j in jobs][:3], ["job_00", "job_01", "job_02"])
        self.assertEqual(len(jobs), 12)
        for j, p in zip(jobs, params):
            (pf,) = j.required_files
            self.assertEqual(pf.alias, "params.json")
            with open(pf.absolute, encoding="utf-8") as fh:
                self.assertEqual(json.load(fh), p)
            self.assertEqual(j.file, self.script)

    def test_name_function_and_alias(self) -> None:
        jobs = dc.sweep([{"lr": 0.1}, {"lr": 0.01}], self.script, self.root,
                        name=lambda i, p: f"lr_{p['lr']}", params_alias="cfg.json")
        self.assertEqual([j.name for j in jobs], ["lr_0.1", "lr_0.01"])
        self.assertEqual(jobs[1].required_files[0].name_on_node, "cfg.json")
        self.assertTrue(os.path.isfile(os.path.join(self.root, "lr_0.01.json")))

    def test_duplicate_names_refused_before_writing(self) -> None:
        out = os.path.join(self.root, "p")
        with self.assertRaisesRegex(ValueError, "several jobs the name"):
            dc.sweep([{"a": 1}, {"a": 2}], self.script, out, name=lambda i, p: "same")
        self.assertFalse(os.path.exists(out))

    def test_unsafe_names_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, r"params\[0\]"):
            dc.sweep([{"a": 1}], self.script, self.root, name=lambda i, p: "../escape")

    def test_unserializable_params_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "job_1"):
            dc.sweep([{"a": 1}, {"a": object()}], self.script, self.root)
        with self.assertRaisesRegex(ValueError, "JSON"):
            dc.sweep([{"a": float("nan")}], self.script, self.root)

    def test_single_dict_refused(self) -> None:
        with self.assertRaises(TypeError):
            dc.sweep({"a": 1}, self.script, self.root)  # type: ignore[arg-type]

    def test_extra_files_slurm_and_config(self) -> None:
        mesh = dc.file(os.path.join(self.root, "mesh.h5"))
        jobs = dc.sweep([{"x": i} for i in range(3)], self.script, os.path.join(self.root, "params"),
                        required_files=[mesh], slurm=dc.slurm(time="00:05:00"))
        self.assertEqual(jobs[0].required_files[1], mesh)
        self.assertEqual(jobs[2].slurm, dc.slurm(time="00:05:00"))
        cfg = dc.python_config(dc.metadata(namespace="n", batch_name="b", capabilities=["python3"]),
                               dc.description(dc.initialize(), jobs))
        d = dc.to_dict(cfg, base_dir=self.root)
        self.assertEqual(d["python"]["jobs"][1]["required_files"],
                         [{"path": "params/job_1.json", "alias": "params.json"}, {"path": "mesh.h5"}])

    def test_shell_and_apptainer_sweeps(self) -> None:
        sh = dc.sweep([{"n": 1}], None, self.root, command="python3 input/params.json")
        self.assertEqual(sh[0].command, "python3 input/params.json")
        app = dc.sweep([{"n": 1}], None, self.root)
        self.assertIsNone(app[0].file)


if __name__ == "__main__":
    unittest.main()
