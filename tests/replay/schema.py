"""A small JSON Schema validator (stdlib only) for the subset of draft 2020-12
that docs/events.schema.json uses: type, enum, const, required, properties,
additionalProperties, items, allOf, anyOf, oneOf, if/then/else, $ref to the
same document, minimum, maximum and pattern. A keyword outside the subset is
an error, never ignored: a schema this cannot check is refused, so a test
that passes has checked what the schema says.

    v = Validator(json.load(open('docs/events.schema.json')))
    errors = v.errors(event)      # [] when the event is valid
"""
import re

# Keywords that only annotate.
_NOTES = {'$schema', '$id', '$comment', 'title', 'description', '$defs'}
_CHECKS = {'type', 'enum', 'const', 'required', 'properties', 'additionalProperties', 'items',
           'allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', '$ref', 'minimum', 'maximum',
           'pattern'}


class SchemaError(Exception):
    """The schema uses something this validator does not check, or is malformed."""


def _is_type(value, t):
    if t == 'null':
        return value is None
    if t == 'boolean':
        return isinstance(value, bool)
    if t == 'string':
        return isinstance(value, str)
    if t == 'array':
        return isinstance(value, list)
    if t == 'object':
        return isinstance(value, dict)
    if t == 'number':
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == 'integer':  # a number with no fractional part (JSON Schema's meaning)
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise SchemaError('unknown type %r' % t)


def _same(a, b):
    """JSON equality: true is not 1, but 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) != type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


class Validator:
    def __init__(self, schema):
        self.root = schema
        self._patterns = {}
        self._check_schema(schema, '#')

    # -- the schema itself --------------------------------------------------

    def _check_schema(self, s, where):
        if isinstance(s, bool):
            return
        if not isinstance(s, dict):
            raise SchemaError('%s: a schema must be an object or a boolean' % where)
        unknown = set(s) - _NOTES - _CHECKS
        if unknown:
            raise SchemaError('%s: keyword(s) this validator does not check: %s'
                              % (where, ', '.join(sorted(unknown))))
        for k in ('properties', '$defs'):
            for name, sub in s.get(k, {}).items():
                self._check_schema(sub, '%s/%s/%s' % (where, k, name))
        for k in ('additionalProperties', 'items', 'if', 'then', 'else'):
            if k in s:
                self._check_schema(s[k], '%s/%s' % (where, k))
        for k in ('allOf', 'anyOf', 'oneOf'):
            if k in s:
                if not isinstance(s[k], list) or not s[k]:
                    raise SchemaError('%s/%s: a non-empty array expected' % (where, k))
                for i, sub in enumerate(s[k]):
                    self._check_schema(sub, '%s/%s/%d' % (where, k, i))
        if '$ref' in s:
            self._resolve(s['$ref'])
        if 'pattern' in s:
            self._pattern(s['pattern'])
        if 'type' in s:
            for t in s['type'] if isinstance(s['type'], list) else [s['type']]:
                _is_type(None, t)

    def _resolve(self, ref):
        if not ref.startswith('#'):
            raise SchemaError('only references within the document: %r' % ref)
        node = self.root
        for part in [p for p in ref[1:].split('/') if p]:
            part = part.replace('~1', '/').replace('~0', '~')
            if not isinstance(node, dict) or part not in node:
                raise SchemaError('unresolvable $ref %r' % ref)
            node = node[part]
        return node

    def _pattern(self, p):
        if p not in self._patterns:
            # ECMA 262's $ is the end of the text; Python's also matches
            # before a final newline
            py = p[:-1] + r'\Z' if p.endswith('$') and not p.endswith('\\$') else p
            try:
                self._patterns[p] = re.compile(py)
            except re.error as e:
                raise SchemaError('bad pattern %r: %s' % (p, e))
        return self._patterns[p]

    # -- instances ----------------------------------------------------------

    def errors(self, value):
        """Every way @value breaks the schema, as 'PATH: why' strings."""
        out = []
        self._validate(value, self.root, '$', out)
        return out

    def valid(self, value, schema=None):
        out = []
        self._validate(value, self.root if schema is None else schema, '$', out)
        return not out

    def _validate(self, v, s, path, out):
        if s is True:
            return
        if s is False:
            out.append('%s: not allowed here' % path)
            return
        if '$ref' in s:
            self._validate(v, self._resolve(s['$ref']), path, out)
        if 'type' in s:
            types = s['type'] if isinstance(s['type'], list) else [s['type']]
            if not any(_is_type(v, t) for t in types):
                out.append('%s: %s expected, got %s' % (path, ' or '.join(types), _json_type(v)))
                return
        if 'const' in s and not _same(v, s['const']):
            out.append('%s: %r expected, got %r' % (path, s['const'], v))
        if 'enum' in s and not any(_same(v, e) for e in s['enum']):
            out.append('%s: %r is not one of %s' % (path, v, s['enum']))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if 'minimum' in s and v < s['minimum']:
                out.append('%s: %r is below the minimum %r' % (path, v, s['minimum']))
            if 'maximum' in s and v > s['maximum']:
                out.append('%s: %r is above the maximum %r' % (path, v, s['maximum']))
        if isinstance(v, str) and 'pattern' in s and not self._pattern(s['pattern']).search(v):
            out.append('%s: %r does not match %s' % (path, v, s['pattern']))
        if isinstance(v, dict):
            for k in s.get('required', []):
                if k not in v:
                    out.append('%s: required field %r missing' % (path, k))
            props = s.get('properties', {})
            for k, sub in props.items():
                if k in v:
                    self._validate(v[k], sub, '%s.%s' % (path, k), out)
            if 'additionalProperties' in s:
                for k in v:
                    if k not in props:
                        if s['additionalProperties'] is False:
                            out.append('%s: unknown field %r' % (path, k))
                        else:
                            self._validate(v[k], s['additionalProperties'],
                                           '%s.%s' % (path, k), out)
        if isinstance(v, list) and 'items' in s:
            for i, item in enumerate(v):
                self._validate(item, s['items'], '%s[%d]' % (path, i), out)
        for sub in s.get('allOf', []):
            self._validate(v, sub, path, out)
        if 'anyOf' in s and not any(self.valid(v, sub) for sub in s['anyOf']):
            out.append('%s: matches none of anyOf' % path)
        if 'oneOf' in s:
            n = sum(self.valid(v, sub) for sub in s['oneOf'])
            if n != 1:
                out.append('%s: matches %d of oneOf, not exactly one' % (path, n))
        if 'if' in s:
            branch = 'then' if self.valid(v, s['if']) else 'else'
            if branch in s:
                self._validate(v, s[branch], path, out)


def _json_type(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, (int, float)):
        return 'number'
    return {str: 'string', list: 'array', dict: 'object'}.get(type(v), type(v).__name__)
