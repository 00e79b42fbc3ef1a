import { LabView } from './LabView';

export default async function LabPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <LabView id={safeDecode(id)} />;
}

/** Route params may arrive percent-encoded; a malformed escape must not turn into a 500. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
