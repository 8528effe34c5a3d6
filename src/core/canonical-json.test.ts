import { expect } from 'chai';
import { canonicalJson, canonicalJsonBytes, compareCodePoints } from './canonical-json.ts';
import { MatrixError } from './errors.ts';

function expectBadJson(value: unknown, messagePart: string): void {
  expect(() => canonicalJson(value)).to.throw(MatrixError, messagePart).with.property('errcode', 'M_BAD_JSON');
}

describe('canonicalJson', () => {
  describe('appendices "Canonical JSON" examples', () => {
    // Each input is the appendix's JSON text, parsed as a server would receive it.
    const examples: Array<[input: string, expected: string]> = [
      ['{}', '{}'],
      ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
      ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
      ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
      [
        `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
        '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
      ],
      ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
      ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
      ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
      ['{\n    "a": null\n}', '{"a":null}'],
      ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
    ];
    for (const [input, expected] of examples) {
      it(`encodes ${input.replace(/\s+/g, ' ')}`, () => {
        expect(canonicalJson(JSON.parse(input))).to.equal(expected);
      });
    }
  });

  it('encodes as UTF-8 bytes, non-ASCII unescaped', () => {
    expect([...canonicalJsonBytes({ a: 'é😀' })]).to.deep.equal([...new TextEncoder().encode('{"a":"é😀"}')]);
  });

  it('escapes exactly as the grammar says: short escapes, \\u00xx lowercase for other controls', () => {
    expect(canonicalJson('\b\t\n\f\r"\\')).to.equal('"\\b\\t\\n\\f\\r\\"\\\\"');
    expect(canonicalJson('\u0000\u0001\u000b\u001f')).to.equal('"\\u0000\\u0001\\u000b\\u001f"');
    expect(canonicalJson('/\u007f\u2028')).to.equal('"/\u007f\u2028"');
  });

  it('sorts keys by code point, also where UTF-16 order differs (astral vs U+E000..U+FFFF)', () => {
    const value = { '\uffff': 1, '😀': 2, 'b': 3, 'a': 4, 'é': 5, 'aa': 6, '': 7 };
    expect(canonicalJson(value)).to.equal('{"":7,"a":4,"aa":6,"b":3,"é":5,"\uffff":1,"😀":2}');
    // JavaScript's default comparison would put the surrogate pair first.
    expect(['\uffff', '😀'].sort()).to.deep.equal(['😀', '\uffff']);
    expect(compareCodePoints('😀', '\uffff')).to.be.greaterThan(0);
    expect(compareCodePoints('\ud7ff', '😀')).to.be.lessThan(0);
    expect(compareCodePoints('😀', '😁')).to.be.lessThan(0);
  });

  it('sorts nested object keys and keeps array order', () => {
    expect(canonicalJson({ z: [{ b: 1, a: 2 }, 3, 'x'], y: { d: true, c: false } })).to.equal(
      '{"y":{"c":false,"d":true},"z":[{"a":2,"b":1},3,"x"]}',
    );
  });

  it('accepts the integer range limits', () => {
    expect(canonicalJson([2 ** 53 - 1, -(2 ** 53) + 1])).to.equal('[9007199254740991,-9007199254740991]');
    expect(canonicalJson(12n)).to.equal('12');
  });

  it('rejects floats, NaN, infinities and integers outside the range, naming where', () => {
    expectBadJson(1.5, 'no floats');
    expectBadJson(NaN, 'NaN');
    expectBadJson(Infinity, 'Infinity');
    expectBadJson(2 ** 53, '9007199254740992');
    expectBadJson(-(2 ** 53), '-9007199254740992');
    expectBadJson(2n ** 53n, 'outside');
    expectBadJson({ content: { body: 'x', ratio: 0.5 } }, '$.content.ratio');
    expectBadJson({ list: [1, [2, 3.25]] }, '$.list[1][1]');
  });

  it('rejects values JSON cannot carry', () => {
    expectBadJson(undefined, 'undefined');
    expectBadJson([undefined], '$[0]');
    expectBadJson([1, , 2], '$[1]');
    expectBadJson({ f: () => 1 }, 'function');
    expectBadJson({ s: Symbol('s') }, 'symbol');
    expectBadJson({ d: new Date(0) }, 'Date');
    expectBadJson({ m: new Map() }, 'Map');
    expectBadJson({ a: 'x\ud800y' }, 'unpaired');
    expectBadJson({ ['\udc00']: 1 }, 'unpaired');
  });

  it('omits object members whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).to.equal('{"a":1}');
    expect(canonicalJson(Object.assign(Object.create(null), { b: 1 }))).to.equal('{"b":1}');
  });
});
