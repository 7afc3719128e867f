// qlobber ships no types; these cover the two classes the persistence uses.
declare module 'qlobber' {
  interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
  }
  export class QlobberTrue {
    constructor(options?: QlobberOptions);
    add(topic: string): this;
    test(topic: string): boolean;
  }
}

declare module 'qlobber/aedes/qlobber-sub.js' {
  interface TrieSubscription {
    clientId: string;
    topic: string;
    qos?: number;
    rh?: number | undefined;
    rap?: boolean | undefined;
    nl?: boolean | undefined;
  }
  class QlobberSub {
    constructor(options?: { separator?: string; wildcard_one?: string; wildcard_some?: string });
    subscriptionsCount: number;
    add(topic: string, sub: TrieSubscription): this;
    remove(topic: string, sub: { clientId: string; topic: string }): this;
    match(topic: string): TrieSubscription[];
  }
  export = QlobberSub;
}
