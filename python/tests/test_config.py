"""Whole configs: kind checks, the dict that gets written, relative paths, and the YAML text."""

import json
import os
import re
import tempfile
import unittest

import _support  # noqa: F401  (puts the package on sys.path)
import distribute_config as dc


def meta() -> dc.Metadata:
    return dc.metadata(namespace="brooks", batch_name="sweep_1", capabilities=["python3"])


class KindTests(unittest.TestCase):
    def test_python_job_needs_file(self) -> None:
        with self.assertRaisesRegex(ValueError, "job 'a': python jobs need file="):
            dc.python_config(meta(), dc.description(dc.initialize(), [dc.job("a")]))

    def test_python_refuses_sif(self) -> None:
        init = dc.initialize(sif=dc.file("x.sif"))
        with self.assertRaisesRegex(ValueError, "apptainer_config"):
            dc.python_config(meta(), dc.description(init, [dc.job("a", file=dc.file("r.py"))]))

    def test_apptainer_needs_sif_and_hints_at_build_file(self) -> None:
        init = dc.initialize(build_file=dc.file("image.sif"))
        with self.assertRaisesRegex(ValueError, "got build_file=; apptainer uses sif="):
            dc.apptainer_config(meta(), dc.description(init, [dc.job("a")]))

    def test_apptainer_jobs_have_no_script(self) -> None:
        init = dc.initialize(sif=dc.file("image.sif"))
        with self.assertRaisesRegex(ValueError, "only a name and required_files"):
            dc.apptainer_config(meta(), dc.description(init, [dc.job("a", file=dc.file("r.py"))]))

    def test_shell_job_needs_command(self) -> None:
        with self.assertRaisesRegex(ValueError, "command="):
            dc.shell_config(meta(), dc.description(dc.initialize(build="make"), [dc.job("a")]))

    def test_job_file_colliding_with_initialize_file_refused(self) -> None:
        init = dc.initialize(required_files=[dc.file("shared/params.json")])
        jobs = [dc.job("a", file=dc.file("r.py"), required_files=[dc.file("p1.json", alias="params.json")])]
        with self.assertRaisesRegex(ValueError, "job 'a'.*'params.json'"):
            dc.python_config(meta(), dc.description(init, jobs))


class ToDictTests(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = os.path.realpath(self.tmp.name)

    def test_python_config_shape(self) -> None:
        init = dc.initialize(build_file=dc.file(os.path.join(self.root, "build.py")),
                             required_files=[dc.file(os.path.join(self.root, "data", "mesh.h5"))])
        jobs = [dc.job("job_1", file=dc.file(os.path.join(self.root, "run.py")),
                       required_files=[dc.file(os.path.join(self.root, "p1.json"), alias="params.json")],
                       slurm=dc.slurm(time="00:10:00"))]
        m = dc.metadata(namespace="ns", batch_name="b", capabilities=["python3"], matrix="@me:x.org",
                        resources={"cpus": 2}, max_retries=1, description="a test", share="lab")
        cfg = dc.python_config(m, dc.description(init, jobs), slurm=dc.slurm(ntasks=4))
        self.assertEqual(dc.to_dict(cfg, base_dir=self.root), {
            "meta": {"batch_name": "b", "namespace": "ns", "matrix": "@me:x.org", "capabilities": ["python3"],
                     "resources": {"cpus": 2}, "max_retries": 1, "description": "a test", "share": "lab"},
            "python": {
                "initialize": {"build_file": {"path": "build.py"}, "required_files": [{"path": "data/mesh.h5"}]},
                "jobs": [{"name": "job_1", "file": {"path": "run.py"},
                          "required_files": [{"path": "p1.json", "alias": "params.json"}],
                          "slurm": {"time": "00:10:00"}}],
            },
            "slurm": {"ntasks": 4},
        })

    def test_none_values_omitted(self) -> None:
        cfg = dc.python_config(meta(), dc.description(dc.initialize(), [dc.job("a", file=dc.file("r.py"))]),
                               slurm=dc.slurm())
        d = dc.to_dict(cfg)
        self.assertEqual(set(d), {"meta", "python"})
        self.assertEqual(set(d["meta"]), {"batch_name", "namespace", "capabilities"})
        self.assertEqual(d["python"]["initialize"], {"required_files": []})
        self.assertEqual(set(d["python"]["jobs"][0]), {"name", "file", "required_files"})

    def test_relative_paths_follow_config_folder(self) -> None:
        # Relative paths mean "relative to the working directory" in Python; written relative to
        # the config's folder they point at the same file.
        old = os.getcwd()
        os.chdir(self.root)
        try:
            cfg = dc.python_config(meta(), dc.description(dc.initialize(), [dc.job("a", file=dc.file("run.py"))]))
            d = dc.to_dict(cfg, base_dir=os.path.join(self.root, "configs"))
        finally:
            os.chdir(old)
        self.assertEqual(d["python"]["jobs"][0]["file"], {"path": "../run.py"})

    def test_absolute_path_outside_folder_stays_absolute(self) -> None:
        outside = os.path.join(os.path.dirname(self.root), "elsewhere", "mesh.h5")
        cfg = dc.python_config(meta(), dc.description(dc.initialize(required_files=[dc.file(outside)]),
                                                      [dc.job("a", file=dc.file(os.path.join(self.root, "r.py")))]))
        d = dc.to_dict(cfg, base_dir=self.root)
        self.assertEqual(d["python"]["initialize"]["required_files"], [{"path": outside}])
        self.assertEqual(d["python"]["jobs"][0]["file"], {"path": "r.py"})

    def test_apptainer_and_shell_shapes(self) -> None:
        sif = os.path.join(self.root, "solver.sif")
        app = dc.apptainer_config(meta(), dc.description(
            dc.initialize(sif=dc.file(sif), required_files=[], required_mounts=["/solver/out"]),
            [dc.job("case_1", required_files=[])]))
        self.assertEqual(dc.to_dict(app, base_dir=self.root)["apptainer"], {
            "initialize": {"sif": {"path": "solver.sif"}, "required_files": [], "required_mounts": ["/solver/out"]},
            "jobs": [{"name": "case_1", "required_files": []}],
        })
        sh = dc.shell_config(meta(), dc.description(dc.initialize(build="make -j"),
                                                    [dc.job("s1", command="./solve --cores $DISTRIBUTE_CORES")]))
        self.assertEqual(dc.to_dict(sh)["shell"], {
            "initialize": {"build": "make -j", "required_files": []},
            "jobs": [{"name": "s1", "command": "./solve --cores $DISTRIBUTE_CORES", "required_files": []}],
        })


class YamlTextTests(unittest.TestCase):
    def test_tricky_strings_are_quoted_json_strings(self) -> None:
        tricky = ["yes", "no", "null", "01:00:00", "1e3", "a: b", "#x", "- y", "ünïcode", "tab\there",
                  "quote\"and\\back", "\x7fdel", "@me:x.org"]
        from distribute_config._yaml import dump
        text = dump({"values": [{"k": t} for t in tricky] + [{"a": 1, "b": 2, "c": 3, "d": 4}]})
        found = re.findall(r'k: (".*") }', text)
        self.assertEqual([json.loads(q) for q in found], tricky)
        self.assertNotIn("\x7f", text)

    def test_numbers_and_booleans(self) -> None:
        from distribute_config._yaml import dump
        self.assertEqual(dump({"a": 1, "b": 1.5, "c": True, "d": []}), "a: 1\nb: 1.5\nc: true\nd: []\n")
        with self.assertRaises(ValueError):
            dump({"a": float("inf")})
        with self.assertRaises(TypeError):
            dump({"a": object()})

    def test_block_structure(self) -> None:
        from distribute_config._yaml import dump
        text = dump({"top": {"list": [{"name": "x", "files": [{"path": "p"}], "e": "1", "f": "2"}]}})
        self.assertEqual(text, 'top:\n  list:\n    - name: "x"\n      files:\n        - { path: "p" }\n'
                               '      e: "1"\n      f: "2"\n')

    def test_write_config_to_file(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            root = os.path.realpath(d)
            cfg = dc.python_config(meta(), dc.description(
                dc.initialize(), [dc.job("a", file=dc.file(os.path.join(root, "sub", "bin", "run.py")))]))
            path = dc.write_config_to_file(cfg, os.path.join(root, "sub", "distribute-jobs.yaml"))
            self.assertEqual(path, os.path.join(root, "sub", "distribute-jobs.yaml"))
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            self.assertTrue(text.startswith("# Generated by distribute_config"))
            self.assertIn('file: { path: "bin/run.py" }', text)
            self.assertIn('batch_name: "sweep_1"', text)
            self.assertEqual(os.listdir(os.path.join(root, "sub")), ["distribute-jobs.yaml"])


if __name__ == "__main__":
    unittest.main()


class RequestTests(unittest.TestCase):
    def test_request_written_for_batch_and_job(self) -> None:
        m = dc.metadata(namespace="brooks", batch_name="sweep_1", capabilities=["python3"], request={"cpus": 1, "memory_gb": 2.5})
        jobs = [dc.job("a", command="true"), dc.job("b", command="true", request={"cpus": 4, "gpus": 1})]
        config = dc.shell_config(m, dc.description(dc.initialize(), jobs), slurm=dc.slurm(gres="gpu:1", gpus=2, constraint="avx512", exclusive=True))
        out = dc.to_dict(config)
        self.assertEqual(out["meta"]["request"], {"cpus": 1, "memory_gb": 2.5})
        self.assertNotIn("request", out["shell"]["jobs"][0])
        self.assertEqual(out["shell"]["jobs"][1]["request"], {"cpus": 4, "gpus": 1})
        self.assertEqual(out["slurm"], {"gres": "gpu:1", "gpus": "2", "constraint": "avx512", "exclusive": True})
        self.assertIn("exclusive: true", dc.to_yaml(config))

    def test_no_request_means_whole_node(self) -> None:
        self.assertNotIn("request", dc.to_dict(dc.shell_config(meta(), dc.description(dc.initialize(), [dc.job("a", command="x")])))["meta"])

    def test_bad_requests(self) -> None:
        for bad, message in [({"cpus": 0}, "cpus must be a whole number >= 1"), ({"cpus": 1.5}, "cpus must be a whole number"),
                             ({"memory_gb": 0}, "memory_gb must be a number > 0"), ({"gpus": -1}, "gpus must be a whole number >= 0"),
                             ({"disk": 1}, "unknown request key 'disk'")]:
            with self.assertRaisesRegex(ValueError, message):
                dc.metadata(namespace="n", batch_name="b", capabilities=[], request=bad)
        with self.assertRaisesRegex(ValueError, "job 'a' request cpus"):
            dc.job("a", command="x", request={"cpus": "two"})
        with self.assertRaisesRegex(ValueError, "exclusive must be True or False"):
            dc.slurm(exclusive="yes")  # type: ignore[arg-type]
