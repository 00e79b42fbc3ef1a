import { LabView } from './LabView';

export default async function LabPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <LabView id={decodeURIComponent(id)} />;
}
