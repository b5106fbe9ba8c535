"""mudguard-mud lint: every real profile in ../shared/datasets/mud lints (warnings
allowed); broken files fail with file, line, column and JSON path."""
import glob
import os
import subprocess
import tempfile
import unittest

MUD = os.environ['MUDGUARD_MUD']
DATASETS = os.environ['MG_DATASETS']


def lint(*files):
    return subprocess.run([MUD, 'lint', *files], capture_output=True, timeout=120)


class Lint(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(os.path.join(DATASETS, 'mud')), 'datasets absent')
    def test_real_profiles(self):
        files = sorted(f for f in glob.glob(os.path.join(DATASETS, 'mud', '*'))
                       if not f.endswith('.tsv'))
        self.assertGreaterEqual(len(files), 40)
        p = lint(*files)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        out = p.stdout.decode().splitlines()
        self.assertEqual(len(out), len(files))
        for line in out:
            self.assertRegex(line, r': ok: https?://\S+, \d+ ACLs, \d+ entries, \d+ warnings?$')
        # draft-era and broken constructs are reported, not dropped
        err = p.stderr.decode()
        self.assertIn('ietf-acldns:s:qrc-dnsname: warning: this match is not supported', err)

    def test_broken_files(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, 'bad.json')
            with open(bad, 'w') as f:
                f.write('{"ietf-mud:mud": {"mud-url": "https://x.example/a",\n'
                        ' "from-device-policy": {"access-lists": {"access-list": '
                        '[{"name": "gone"}]}}}}\n')
            notjson = os.path.join(d, 'notjson.json')
            with open(notjson, 'w') as f:
                f.write('{\n "a": [1, 2,\n}\n')
            p = lint(bad, notjson, os.path.join(d, 'missing.json'))
            self.assertEqual(p.returncode, 1)
            err = p.stderr.decode()
            self.assertIn(bad + ':2:2: /ietf-mud:mud/from-device-policy: ACL "gone" is not defined',
                          err)
            self.assertIn(notjson + ':3:', err)
            self.assertIn('missing.json: No such file or directory', err)


if __name__ == '__main__':
    unittest.main(verbosity=2)
