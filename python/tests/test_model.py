"""Checks of the builders: what they accept, and the errors for what they refuse."""

import os
import tempfile
import unittest

import _support  # noqa: F401  (puts the package on sys.path)
import distribute_config as dc


class FileTests(unittest.TestCase):
    def test_alias_defaults_to_base_name(self) -> None:
        f = dc.file("inputs/mesh.h5")
        self.assertEqual(f.name_on_node, "mesh.h5")
        self.assertIsNone(f.alias)
        self.assertEqual(f.absolute, os.path.abspath("inputs/mesh.h5"))

    def test_alias_renames(self) -> None:
        self.assertEqual(dc.file("p_7.json", alias="params.json").name_on_node, "params.json")

    def test_unsafe_alias_refused(self) -> None:
        for bad in ["../x", "a/b", "..", ".", "", "a\x00b", "a\nb"]:
            with self.subTest(alias=bad), self.assertRaises(ValueError) as ctx:
                dc.file("x.txt", alias=bad)
            self.assertIn("alias", str(ctx.exception))

    def test_empty_path_refused(self) -> None:
        with self.assertRaises(TypeError):
            dc.file("")

    def test_pathlib_accepted(self) -> None:
        import pathlib
        self.assertEqual(dc.file(pathlib.Path("a") / "b.py").name_on_node, "b.py")

    def test_absolute_is_fixed_at_creation(self) -> None:
        old = os.getcwd()
        with tempfile.TemporaryDirectory() as d:
            f = dc.file("run.py")
            os.chdir(d)
            try:
                self.assertEqual(f.absolute, os.path.join(old, "run.py"))
            finally:
                os.chdir(old)


class MetadataTests(unittest.TestCase):
    def test_original_call_form(self) -> None:
        m = dc.metadata(namespace="ns", batch_name="b1", capabilities=["python3", "gfortran"], matrix=None)
        self.assertEqual(m.capabilities, ("python3", "gfortran"))
        self.assertIsNone(m.matrix)

    def test_unsafe_names_refused(self) -> None:
        for bad in ["a/b", "..", "a\x00", ""]:
            with self.subTest(name=bad):
                with self.assertRaisesRegex(ValueError, "batch_name"):
                    dc.metadata(namespace="ns", batch_name=bad, capabilities=[])
                with self.assertRaisesRegex(ValueError, "namespace"):
                    dc.metadata(namespace=bad, batch_name="b", capabilities=[])

    def test_capabilities_as_string_refused(self) -> None:
        with self.assertRaisesRegex(TypeError, r"\['python3'\]"):
            dc.metadata(namespace="ns", batch_name="b", capabilities="python3")  # type: ignore[arg-type]

    def test_resources_and_retries(self) -> None:
        m = dc.metadata(namespace="ns", batch_name="b", capabilities=[], resources={"cpus": 8, "memory_gb": 15.5,
                        "gpus": 0}, max_retries=2)
        self.assertEqual(dict(m.resources), {"cpus": 8, "memory_gb": 15.5, "gpus": 0})
        self.assertEqual(m.max_retries, 2)

    def test_share(self) -> None:
        self.assertEqual(dc.metadata(namespace="ns", batch_name="b", capabilities=[], share="lab").share, "lab")
        self.assertIsNone(dc.metadata(namespace="ns", batch_name="b", capabilities=[]).share)
        with self.assertRaisesRegex(ValueError, "share"):
            dc.metadata(namespace="ns", batch_name="b", capabilities=[], share="everyone")

    def test_bad_resources_refused(self) -> None:
        for res in [{"cpu": 1}, {"cpus": -1}, {"cpus": 1.5}, {"memory_gb": 0}, {"gpus": True},
                    {"memory_gb": float("nan")}, {"cpus": "4"}]:
            with self.subTest(resources=res), self.assertRaises(ValueError):
                dc.metadata(namespace="ns", batch_name="b", capabilities=[], resources=res)  # type: ignore[arg-type]

    def test_bad_retries_and_matrix_refused(self) -> None:
        for retries in [-1, 101, 1.0, True]:
            with self.subTest(max_retries=retries), self.assertRaisesRegex(ValueError, "max_retries"):
                dc.metadata(namespace="ns", batch_name="b", capabilities=[], max_retries=retries)  # type: ignore
        for matrix in ["user", "@user", "@us er:x.org"]:
            with self.subTest(matrix=matrix), self.assertRaisesRegex(ValueError, "matrix"):
                dc.metadata(namespace="ns", batch_name="b", capabilities=[], matrix=matrix)
        self.assertEqual(dc.metadata(namespace="n", batch_name="b", capabilities=[], matrix="@me:matrix.org").matrix,
                         "@me:matrix.org")


class SlurmTests(unittest.TestCase):
    def test_all_keywords(self) -> None:
        s = dc.slurm(job_name="j", output="o.txt", nodes=1, ntasks=4, cpus_per_task=2, mem_per_cpu="2G",
                     hint="nomultithread", time="01:00:00", partition="p", account="a", mail_user="m@x.org",
                     mail_type="END")
        self.assertEqual(s.ntasks, 4)
        self.assertEqual(s.time, "01:00:00")

    def test_mem_per_cpu_number_becomes_string(self) -> None:
        self.assertEqual(dc.slurm(mem_per_cpu=2000).mem_per_cpu, "2000")

    def test_bad_values_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "ntasks"):
            dc.slurm(ntasks=0)
        with self.assertRaisesRegex(ValueError, "nodes"):
            dc.slurm(nodes="2")  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "time"):
            dc.slurm(time="1:00\n#SBATCH --evil")


class InitializeAndJobTests(unittest.TestCase):
    def test_python_and_apptainer_forms(self) -> None:
        py = dc.initialize(build_file=dc.file("build.py"), required_files=[dc.file("mesh.h5")])
        self.assertEqual(py.build_file.name_on_node if py.build_file else None, "build.py")
        app = dc.initialize(sif=dc.file("solver.sif"), required_files=[], required_mounts=["/solver/tmp"])
        self.assertEqual(app.required_mounts, ("/solver/tmp",))

    def test_plain_paths_accepted_for_files(self) -> None:
        init = dc.initialize(build_file="build.py", required_files=["mesh.h5"])
        self.assertEqual([f.name_on_node for f in init.required_files], ["mesh.h5"])

    def test_duplicate_names_on_node_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "'a.txt'"):
            dc.initialize(required_files=[dc.file("x/a.txt"), dc.file("y/a.txt")])
        with self.assertRaisesRegex(ValueError, "'p.json'"):
            dc.job("j", required_files=[dc.file("1.json", alias="p.json"), dc.file("2.json", alias="p.json")])

    def test_bad_mounts_refused(self) -> None:
        for mount in ["relative", "/a:/b", "/a,b", "/a/../etc"]:
            with self.subTest(mount=mount), self.assertRaises(ValueError):
                dc.initialize(sif=dc.file("x.sif"), required_mounts=[mount])

    def test_job_forms(self) -> None:
        j = dc.job("job_1", file=dc.file("run.py"), required_files=[], slurm=None)
        self.assertEqual(j.file.name_on_node if j.file else None, "run.py")
        self.assertEqual(dc.job("a").required_files, ())
        self.assertEqual(dc.job("s", command="echo hi").command, "echo hi")

    def test_unsafe_job_names_refused(self) -> None:
        for bad in ["a/b", "..", "x\x00y", "", "a\\b"]:
            with self.subTest(name=bad), self.assertRaisesRegex(ValueError, "job name"):
                dc.job(bad, file=dc.file("run.py"))

    def test_file_and_command_together_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "not both"):
            dc.job("j", file=dc.file("run.py"), command="echo")

    def test_description_refuses_duplicates_and_empty(self) -> None:
        init = dc.initialize()
        with self.assertRaisesRegex(ValueError, "duplicate job names: 'a'"):
            dc.description(init, [dc.job("a"), dc.job("b"), dc.job("a")])
        with self.assertRaisesRegex(ValueError, "at least one job"):
            dc.description(init, [])


if __name__ == "__main__":
    unittest.main()
