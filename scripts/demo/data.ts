/**
 * The demo's course as the LMS (the platform simulator) holds it: one instructor, 20 learners and their
 * grades on two assessments. The rule enabled in the course asks for at least 50% in the quiz (outcome 1 of
 * the template) and at least 60% in the project (outcome 2); test/demo/demo.test.ts counts on these figures.
 */
export const DEMO_COURSE = { id: '2', title: 'Applied Data Analysis', label: 'ADA101' };
export const DEMO_INSTRUCTOR = { id: '3', name: 'Terry Teacher' };
export const DEMO_TEMPLATE_FILE = 'config/templates/applied-data-analysis.json';
export const DEMO_ISSUER_ID = 'demo-institution';
/** The institution's console administrator; the password is made on the first run and kept in demo.json. */
export const DEMO_ADMIN = 'demo-admin';
export const QUIZ = { label: 'Quiz: data cleaning', scoreMaximum: 20, passPercent: 50 };
export const PROJECT = { label: 'Final analysis project', scoreMaximum: 100, passPercent: 60 };

export interface DemoLearner {
  id: string;
  name: string;
  quiz: number;
  project: number;
}

const rows: [string, number, number][] = [
  ['Ana Andromeda', 18, 91],
  ['Bruno Costa', 12, 64],
  ['Chloé Martin', 9, 88],
  ['Dimitris Papadakis', 15, 59],
  ['Elena Rossi', 20, 97],
  ['Finn Larsen', 11, 60],
  ['Greta Novak', 6, 41],
  ['Hugo Ferreira', 17, 73],
  ['Ines Moreau', 14, 82],
  ['Jonas Weber', 10, 66],
  ['Katarzyna Nowak', 19, 55],
  ['Lucas Silva', 13, 70],
  ['Maria Gonzalez', 16, 85],
  ['Niamh Byrne', 8, 62],
  ['Oskar Lindqvist', 12, 38],
  ['Paula Santos', 20, 100],
  ['Quentin Dubois', 11, 61],
  ['Rosa Almeida', 17, 79],
  ['Stefan Horvat', 4, 20],
  ['Tereza Dvořák', 15, 68],
];

export const DEMO_LEARNERS: DemoLearner[] = rows.map(([name, quiz, project], i) => ({
  id: String(1001 + i),
  name,
  quiz,
  project,
}));

export function passes(learner: DemoLearner): boolean {
  return (
    (learner.quiz / QUIZ.scoreMaximum) * 100 >= QUIZ.passPercent &&
    (learner.project / PROJECT.scoreMaximum) * 100 >= PROJECT.passPercent
  );
}
