// The fake sink must keep the contract real sinks keep, or executor tests would prove nothing.
import { describeSinkContract } from '../sinks/sink-contract.js';
import { FakeSink } from './fake-sink.js';

describeSinkContract('FakeSink', async () => {
  const sink = new FakeSink('fake');
  const broken = new FakeSink('fake');
  broken.failPreflight = 100;
  broken.failWrites = 100;
  broken.failReads = 100;
  return {
    sink,
    location: { sink: 'fake', path: 'ci-deployer' },
    badLocation: { sink: 'fake', path: '../escape' },
    brokenSink: broken,
    listing: {
      other: { sink: 'fake', path: 'team/other' },
      // A FakeSink holds nothing but records.
      plantForeign: async () => undefined,
    },
    teardown: async () => undefined,
  };
});
