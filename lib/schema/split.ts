/** A speaker split: who trains, who validates, who is tested (actor numbers). Pure. */
export interface SpeakerSplit {
  name: string;
  trainActors: number[];
  testActors: number[];
  /** Validation actors come out of the training side, never the test side. */
  valActors: number[];
}
