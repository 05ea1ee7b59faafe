# ranks: 1 2
"""MPI.Info: the MPI calls, the mapping protocol, INFO_NULL (empty, read-only) and INFO_ENV."""
import unittest

import mpitest
from mpi4py import MPI


class TestInfo(unittest.TestCase):

    def setUp(self):
        self.info = MPI.Info.Create()

    def tearDown(self):
        if self.info:
            self.info.Free()

    def test_create_free(self):
        info = MPI.Info.Create()
        self.assertIs(type(info), MPI.Info)
        self.assertTrue(info)
        self.assertEqual(info.Get_nkeys(), 0)
        info.Free()
        self.assertFalse(info)
        self.assertEqual(info, MPI.INFO_NULL)
        with self.assertRaises(MPI.Exception):
            info.Free()
        with self.assertRaises(MPI.Exception):
            info.Get('x')
        with self.assertRaises(MPI.Exception):
            info.Set('x', 'y')
        with self.assertRaises(MPI.Exception):
            info.Dup()

    def test_set_get_delete(self):
        info = self.info
        info.Set('key', 'value')
        self.assertEqual(info.Get('key'), 'value')
        self.assertEqual(info.Get('key', 3), 'val')
        self.assertEqual(info.Get('key', maxlen=0), '')
        self.assertEqual(info.Get('key', 100), 'value')
        self.assertIsNone(info.Get('nokey'))
        info.Set('key', 'other')
        self.assertEqual(info.Get('key'), 'other')
        self.assertEqual(info.Get_nkeys(), 1)
        self.assertEqual(info.Get_nthkey(0), 'key')
        self.assertEqual(info.Get_nthkey(n=0), 'key')
        info.Delete(key='key')
        self.assertEqual(info.Get_nkeys(), 0)
        with self.assertRaises(MPI.Exception) as cm:
            info.Delete('key')
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_INFO_NOKEY)
        with self.assertRaises(MPI.Exception):
            info.Get_nthkey(0)
        with self.assertRaises(MPI.Exception):
            info.Get_nthkey(-1)
        with self.assertRaises(MPI.Exception):
            info.Set('k' * (MPI.MAX_INFO_KEY + 1), 'v')
        with self.assertRaises(TypeError):
            info.Set('k', 1)
        with self.assertRaises(TypeError):
            info.Set(1, 'v')
        with self.assertRaises(TypeError):
            info.Get(None)

    def test_dup(self):
        info = self.info
        info['a'] = '1'
        info['b'] = '2'
        dup = info.Dup()
        self.assertIsNot(dup, info)
        self.assertNotEqual(dup, info)
        self.assertEqual(dict(dup.items()), {'a': '1', 'b': '2'})
        dup['a'] = 'x'
        self.assertEqual(info['a'], '1')
        dup.Free()
        cp = info.copy()
        self.assertEqual(cp.items(), info.items())
        cp.Free()

    def test_mapping(self):
        info = self.info
        self.assertEqual(len(info), 0)
        self.assertNotIn('a', info)
        info['a'] = 'x'
        info['b'] = 'y'
        info['c'] = 'z'
        self.assertEqual(len(info), 3)
        self.assertIn('a', info)
        self.assertEqual(info['b'], 'y')
        self.assertEqual(sorted(info), ['a', 'b', 'c'])
        self.assertEqual(sorted(info.keys()), ['a', 'b', 'c'])
        self.assertEqual(sorted(info.values()), ['x', 'y', 'z'])
        self.assertEqual(sorted(info.items()), [('a', 'x'), ('b', 'y'), ('c', 'z')])
        self.assertEqual(info.get('a'), 'x')
        self.assertIsNone(info.get('q'))
        self.assertEqual(info.get('q', 'd'), 'd')
        with self.assertRaises(KeyError):
            info['q']
        del info['a']
        self.assertNotIn('a', info)
        with self.assertRaises(KeyError):
            del info['a']
        self.assertEqual(info.pop('b'), 'y')
        self.assertEqual(info.pop('b', 'dflt'), 'dflt')
        with self.assertRaises(KeyError):
            info.pop('b')
        self.assertEqual(info.popitem(), ('c', 'z'))
        with self.assertRaises(KeyError):
            info.popitem()
        info.update({'k1': 'v1'}, k2='v2')
        info.update([('k3', 'v3')])
        other = MPI.Info.Create()
        other['k4'] = 'v4'
        info.update(other)
        other.Free()
        self.assertEqual(dict(info.items()), {'k1': 'v1', 'k2': 'v2', 'k3': 'v3', 'k4': 'v4'})
        info.clear()
        self.assertEqual(len(info), 0)
        with self.assertRaises(ValueError):
            info.update([('a', 'b', 'c')])
        with self.assertRaises(TypeError):
            info.update([('a', 1)])
        with self.assertRaises(TypeError):
            info[1] = 'a'
        with self.assertRaises(TypeError):
            1 in info

    def test_info_null(self):
        null = MPI.INFO_NULL
        self.assertFalse(null)
        self.assertEqual(len(null), 0)
        self.assertNotIn('a', null)
        self.assertEqual(list(null), [])
        self.assertEqual(null.keys(), [])
        self.assertEqual(null.values(), [])
        self.assertEqual(null.items(), [])
        self.assertIsNone(null.get('a'))
        self.assertEqual(null.get('a', 'b'), 'b')
        self.assertEqual(null.pop('a', 'b'), 'b')
        null.clear()
        cp = null.copy()
        self.assertEqual(cp, MPI.INFO_NULL)
        with self.assertRaises(KeyError):
            null['a']
        with self.assertRaises(KeyError):
            null['a'] = 'b'
        with self.assertRaises(KeyError):
            del null['a']
        with self.assertRaises(KeyError):
            null.pop('a')
        with self.assertRaises(KeyError):
            null.popitem()
        with self.assertRaises(KeyError):
            null.update(a='b')
        with self.assertRaises(MPI.Exception):
            null.Set('a', 'b')
        with self.assertRaises(MPI.Exception):
            null.Get_nkeys()
        with self.assertRaises(MPI.Exception) as cm:
            null.Free()
        self.assertIn(cm.exception.Get_error_class(), (MPI.ERR_INFO, MPI.ERR_ARG))
        self.assertEqual(MPI.Info(), MPI.INFO_NULL)

    def test_info_env(self):
        env = MPI.INFO_ENV
        self.assertTrue(env)
        n = env.Get_nkeys()
        self.assertEqual(len(env), n)
        for key in env.keys():
            self.assertIsInstance(env.Get(key), str)
            self.assertEqual(env[key], env.Get(key))
        for key in ('command', 'argv', 'maxprocs', 'soft', 'host', 'arch', 'wdir', 'file', 'thread_level'):
            value = env.get(key)
            self.assertTrue(value is None or isinstance(value, str))
        dup = env.Dup()
        self.assertEqual(dup.items(), env.items())
        dup.Free()
        env.Free()  # does nothing, as MPI (and mpi4py 3.1) accept it; INFO_ENV stays usable
        self.assertEqual(env.Get_nkeys(), n)
        self.assertEqual(MPI.INFO_ENV.Dup().items(), dup.items())

    def test_as_argument(self):
        info = self.info
        info['no_locks'] = 'true'
        comm = MPI.COMM_WORLD.Dup(info)
        comm.Free()
        with self.assertRaises(TypeError):
            MPI.COMM_WORLD.Dup('x')

    def test_py2f(self):
        self.assertEqual(MPI.Info.f2py(self.info.py2f()), self.info)
        self.assertEqual(MPI.Info.f2py(MPI.INFO_NULL.py2f()), MPI.INFO_NULL)


if __name__ == '__main__':
    mpitest.main()
