// The story's sections (story.html), in order: the ids are their URL anchors and `section=`
// values, shared by the story page and the lab's embed builder.
export const CHAPTERS = [
  { id: 'baseline', title: '1. A clean baseline' },
  { id: 'uniform', title: '2. Drown the labels: uniform noise' },
  { id: 'depth', title: '3. Deeper nets are more robust' },
  { id: 'structured', title: '4. Structured noise' },
  { id: 'clean-size', title: '5. How many clean examples you need' },
  { id: 'batch', title: '6. Batch size and the infinite batch' },
];
