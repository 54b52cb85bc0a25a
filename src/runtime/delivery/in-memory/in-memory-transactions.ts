/** A transactional producer's claim on its transactional id: valid until a newer one is initialised. */
export interface ProducerToken {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly epoch: number;
}

interface Registration {
  epoch: number;
  producerId: number;
  /** Aborts the open transaction of the current epoch, if any. */
  abortOpen: (() => void) | undefined;
}

/**
 * The transaction coordinator's fencing: initialising a producer with a transactional id bumps
 * the id's epoch and aborts the transaction the previous holder left open (as InitProducerId
 * does), so a zombie instance can neither commit nor write on.
 */
export class TransactionCoordinator {
  private readonly producers = new Map<string, Registration>();
  private nextProducerId = 1;

  init(transactionalId: string): ProducerToken {
    const previous = this.producers.get(transactionalId);
    previous?.abortOpen?.();
    const registration: Registration = {
      epoch: previous === undefined ? 0 : previous.epoch + 1,
      producerId: previous?.producerId ?? this.nextProducerId++,
      abortOpen: undefined,
    };
    this.producers.set(transactionalId, registration);
    return { transactionalId, producerId: registration.producerId, epoch: registration.epoch };
  }

  fenced(token: ProducerToken): boolean {
    return this.producers.get(token.transactionalId)?.epoch !== token.epoch;
  }

  /** Registers how to abort the transaction `token` just opened, should a newer producer fence it. */
  opened(token: ProducerToken, abort: () => void): void {
    const registration = this.producers.get(token.transactionalId);
    if (registration?.epoch === token.epoch) registration.abortOpen = abort;
  }

  closed(token: ProducerToken): void {
    const registration = this.producers.get(token.transactionalId);
    if (registration?.epoch === token.epoch) registration.abortOpen = undefined;
  }
}
