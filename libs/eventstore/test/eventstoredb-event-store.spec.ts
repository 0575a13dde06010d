import { TEST_EVENTSTORE_URL, describeWith } from '@autocoder/testing';
import { EventStoreDbEventStore } from '../src';
import { eventStoreContract } from './event-store-contract';

// EventStoreDB cannot run on the build machines; docker-compose.yml starts one for users.
describeWith({ eventstore: true }, 'EventStoreDB event store', () => {
  eventStoreContract(async () => {
    const store = EventStoreDbEventStore.connect(TEST_EVENTSTORE_URL!);
    const others: EventStoreDbEventStore[] = [];
    return {
      store,
      secondStore: async () => {
        const other = EventStoreDbEventStore.connect(TEST_EVENTSTORE_URL!);
        others.push(other);
        return other;
      },
      close: async () => {
        await store.close();
      },
    };
  }, { eventIdsUniqueAcrossStreams: false });
});
