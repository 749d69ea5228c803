import { expect } from 'chai';
import fc from 'fast-check';
import { IsoDateTime } from '../../src/kinds/date-time.js';
import {
  RUNS,
  expectFormatRefused,
  expectParseRefused,
  roundTrip,
  show,
  subject,
  valueOf,
} from './text-helpers.js';

/** The millisecond a parse outcome stands for. */
function msOf(v: unknown): number {
  expect(v).to.be.instanceOf(Date);
  return (v as Date).getTime();
}

const YEAR_0 = new Date('0000-01-01T00:00:00.000Z');
const YEAR_9999 = new Date('9999-12-31T23:59:59.999Z');

describe('kinds/text forms: date-time', () => {
  const s = subject({ type: 'date-time' });

  describe('round trip', () => {
    it('every Date of the years 0000–9999 is written in UTC with Z and reads back to the same ms (fast-check)', () => {
      fc.assert(
        fc.property(fc.date({ min: YEAR_0, max: YEAR_9999, noInvalidDate: true }), (d) => {
          const text = valueOf(s.format(d), show(d));
          expect(text).to.match(/Z$/);
          expect(text).to.not.match(/\.000Z$/);
          expect(msOf(valueOf(s.parse(text), text)), text).to.equal(d.getTime());
        }),
        RUNS,
      );
    });

    it('every valid Date in the years 0000–9999 is written with Z and reads back (fast-check)', () => {
      fc.assert(
        fc.property(fc.date({ noInvalidDate: true, min: YEAR_0, max: YEAR_9999 }), (d) => {
          const text = valueOf(s.format(d), show(d));
          expect(text).to.match(/Z$/);
          expect(msOf(valueOf(s.parse(text), text)), text).to.equal(d.getTime());
        }),
        RUNS,
      );
    });

    it('refuses to write the years 10000 and -1 (expanded years, which Python cannot read)', () => {
      const dates = [Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1), 8.64e15, -8.64e15].map((ms) => new Date(ms));
      expectFormatRefused(s, dates, 'BERTH_E_VALUE_TYPE');
    });

    it('the edges of the years 0000–9999 and the epoch', () => {
      for (const d of [YEAR_0, YEAR_9999, new Date(0), new Date(-1), new Date(Date.UTC(2016, 1, 29, 12))]) {
        expect(msOf(roundTrip(s, d)), d.toISOString()).to.equal(d.getTime());
      }
    });

    it('a date-time read from a file keeps its text and is written back in UTC', () => {
      const read = valueOf(s.parse('2017-05-27T05:40:40+02:00'));
      expect(read).to.be.instanceOf(IsoDateTime);
      expect((read as IsoDateTime).text).to.equal('2017-05-27T05:40:40+02:00');
      expect(valueOf(s.format(read))).to.equal('2017-05-27T03:40:40Z');
    });
  });

  describe('reading', () => {
    it('accepts ISO-8601 extended date-times, with Z, offsets, fractions, or no zone (UTC)', () => {
      const at = Date.UTC(2017, 4, 27, 3, 40, 40);
      const cases: [string, number][] = [
        ['2017-05-27T03:40:40Z', at],
        ['2017-05-27T03:40:40z', at],
        ['2017-05-27t03:40:40Z', at],
        ['2017-05-27 03:40:40Z', at],
        ['2017-05-27T03:40:40', at],
        ['2017-05-27T03:40:40.000Z', at],
        ['2017-05-27T03:40:40.5Z', at + 500],
        ['2017-05-27T03:40:40,5Z', at + 500],
        ['2017-05-27T03:40:40.123Z', at + 123],
        ['2017-05-27T03:40Z', at - 40_000],
        ['2017-05-27T05:40:40+02:00', at],
        ['2017-05-27T05:40:40+0200', at],
        ['2017-05-27T05:40:40+02', at],
        ['2017-05-26T22:10:40-05:30', at],
        ['2017-05-27T03:40:40+00:00', at],
        ['2017-05-27T03:40:40-00:00', at],
        ['2016-02-29T00:00:00Z', Date.UTC(2016, 1, 29)],
        ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
        ['0050-01-01T00:00:00Z', new Date('0050-01-01T00:00:00Z').getTime()],
        ['2017-05-27T03:40:40Z\n', at],
        ['2017-05-27T03:40:40Z\r\n', at],
      ];
      for (const [text, ms] of cases)
        expect(msOf(valueOf(s.parse(text), show(text))), show(text)).to.equal(ms);
    });

    it('reads a text without zone as UTC whatever the TZ of the host', () => {
      const before = process.env['TZ'];
      try {
        process.env['TZ'] = 'America/New_York';
        expect(msOf(valueOf(s.parse('2017-05-27T03:40:40')))).to.equal(Date.UTC(2017, 4, 27, 3, 40, 40));
      } finally {
        if (before === undefined) delete process.env['TZ'];
        else process.env['TZ'] = before;
      }
    });

    it('refuses every malformed or impossible date-time (BERTH_E_VALUE_TEXT)', () => {
      expectParseRefused(
        s,
        [
          '',
          'now',
          '2017-05-27',
          '2017-05',
          '03:40:40',
          'T03:40:40Z',
          '2017-13-01T00:00:00Z',
          '2017-00-10T00:00:00Z',
          '2017-05-00T00:00:00Z',
          '2017-02-30T00:00:00Z',
          '2017-02-29T00:00:00Z',
          '1900-02-29T00:00:00Z',
          '2017-04-31T00:00:00Z',
          '2017-05-32T00:00:00Z',
          '2017-05-27T25:00:00Z',
          '2017-05-27T03:60:00Z',
          '2017-05-27T03:40:61Z',
          '27/05/2017',
          '05/27/2017 03:40',
          '27/05/2017 03:40:40',
          'Sat May 27 2017 03:40:40 GMT+0000',
          'Sat, 27 May 2017 03:40:40 GMT',
          '1495856440',
          '17-05-27T03:40:40Z',
          '2017-5-27T03:40:40Z',
          '2017-05-27T3:40:40Z',
          '2017-05-27T03:40:40ZZ',
          '2017-05-27T03:40:40 Z',
          '2017-05-27T03:40:40.Z',
          '2017-05-27T03:40:40+5',
          '2017-05-27T03:40:40 +05:00',
          '2017-05-27T03:40:40UTC',
          '2017-05-27T03:40:40Z ',
          ' 2017-05-27T03:40:40Z',
          '２０１７-05-27T03:40:40Z',
        ],
        'BERTH_E_VALUE_TEXT',
      );
    });

    it('refuses offsets beyond ±23:59 such as +25:00 and -99:00 (BERTH_E_VALUE_TEXT)', () => {
      expectParseRefused(
        s,
        ['2017-05-27T03:40:40+25:00', '2017-05-27T03:40:40-99:00', '2017-05-27T03:40:40+05:60'],
        'BERTH_E_VALUE_TEXT',
      );
    });
  });

  describe('writing', () => {
    it('writes ISO-8601 text with a zone as it is', () => {
      for (const text of [
        '2017-05-27T03:40:40Z',
        '2017-05-27T05:40:40+02:00',
        '2017-05-27T03:40:40.123456Z',
      ]) {
        expect(valueOf(s.format(text), text)).to.equal(text);
      }
    });

    it('refuses date text without a zone, or not a date-time (BERTH_E_VALUE_TEXT)', () => {
      expectFormatRefused(
        s,
        [
          '2017-05-27T03:40:40',
          '2017-05-27T03:40',
          '2017-05-27',
          '27/05/2017',
          '',
          'now',
          '2017-02-30T00:00:00Z',
        ],
        'BERTH_E_VALUE_TEXT',
      );
    });

    it('refuses an invalid Date and values that are not dates (BERTH_E_VALUE_TYPE)', () => {
      expectFormatRefused(
        s,
        [new Date(NaN), new Date('garbage'), 1495856440000, null, undefined, true, {}, 5n],
        'BERTH_E_VALUE_TYPE',
      );
    });

    it('never writes a text it cannot read (fast-check over Dates and zone-qualified texts)', () => {
      const text = fc
        .date({ min: YEAR_0, max: YEAR_9999, noInvalidDate: true })
        .map((d) => d.toISOString())
        .chain((iso) =>
          fc.constantFrom(iso, iso.replace('Z', '+00:00'), iso.replace('.', ','), iso.replace('Z', '-0130')),
        );
      fc.assert(
        fc.property(text, (t) => {
          const written = valueOf(s.format(t), t);
          valueOf(s.parse(written), written);
        }),
        RUNS,
      );
    });
  });
});
